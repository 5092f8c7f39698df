// The recipe: everything a run needs, one struct per YAML section. Defaults are the
// values a field takes when neither the recipe nor its `base:` chain sets it.
// Each struct lists its fields once in visit() (protocol in config/schema.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tinynas/config/schema.h"

namespace tinynas::config {

struct AugmentConfig {
  int crop_padding = 2;  // zero padding (pixels) around the image before the random crop
  bool hflip = true;     // random horizontal flip with probability 0.5

  template <class V>
  void visit(V& v) {
    v.field("crop_padding", crop_padding,
            "zero padding in pixels before a random crop back to the input size; 0 disables",
            Range{0, 16});
    v.field("hflip", hflip, "random horizontal flip with probability 0.5");
  }
};

struct NormalizeConfig {
  std::vector<double> mean;  // per channel, on the [0,1] scale; empty = dataset default
  std::vector<double> std;

  template <class V>
  void visit(V& v) {
    v.field("mean", mean, "per-channel mean on the [0,1] scale; empty = dataset default",
            Range{-10, 10});
    v.field("std", std, "per-channel std on the [0,1] scale; empty = dataset default",
            Range{1e-6, 100});
  }
};

struct DataConfig {
  std::string dataset = "fashion-mnist";
  std::string root;          // "" = the dataset's default location
  double val_fraction = 0.1; // held out of the training files, stratified per class
  std::int64_t split_seed = 0;
  std::int64_t train_limit = 0;  // 0 = all; otherwise the first N after a seeded shuffle
  std::int64_t test_limit = 0;
  int image_size = 0;   // image-folder only: resize to image_size x image_size; 0 = keep
  int channels = 3;     // image-folder only: 1 (grayscale) or 3 (RGB)
  AugmentConfig augment;
  NormalizeConfig normalize;
  int workers = 2;      // background prefetch threads; 0 = load on the calling thread
  int prefetch = 4;     // batches buffered ahead of the consumer

  template <class V>
  void visit(V& v) {
    v.field("dataset", dataset, "which dataset reader to use",
            Choices{{"fashion-mnist", "mnist", "cifar10", "cifar100", "image-folder"}});
    v.field("root", root,
            "directory holding the dataset files; empty = the dataset's default "
            "(fashion-mnist: /usr/share/datasets/fashion-mnist)");
    v.field("val_fraction", val_fraction,
            "fraction of the training files held out for validation (stratified)", Range{0, 0.9});
    v.field("split_seed", split_seed, "seed of the train/val split", Range{0, 9.0e15});
    v.field("train_limit", train_limit,
            "use at most this many training images (seeded subset); 0 = all", Range{0, 1e12});
    v.field("test_limit", test_limit, "use at most this many test images; 0 = all",
            Range{0, 1e12});
    v.field("image_size", image_size,
            "image-folder: resize every image to this square size; 0 = keep the file's size",
            Range{0, 4096});
    v.field("channels", channels, "image-folder: 1 = grayscale, 3 = RGB", Range{1, 3});
    v.section("augment", augment, "training-time augmentation");
    v.section("normalize", normalize, "input normalisation");
    v.field("workers", workers, "background prefetch threads (0 = none)", Range{0, 64});
    v.field("prefetch", prefetch, "batches buffered ahead of the consumer", Range{1, 1024});
  }
};

struct SpaceConfig {
  std::string file = "spaces/tinyformer.yaml";  // relative to the recipe file
  std::string supernet;  // hyper-parameter values, e.g. "c1=24,d=48"; unnamed ones = defaults

  template <class V>
  void visit(V& v) {
    v.field("file", file, "search-space definition (YAML), relative to this recipe");
    v.field("supernet", supernet,
            "the supernet to train: values of the space's hyper-parameters, e.g. "
            "'c1=24,d=48' or 'tf1{c1=24,...}'; unnamed ones take the space's defaults");
  }
};

struct TrainConfig {
  int epochs = 10;
  int batch_size = 128;
  std::string optimizer = "adamw";
  double lr = 5.5e-4;          // peak learning rate (TinyFormer: 5.5e-4)
  double warmup_lr = 1e-5;     // learning rate at step 0 of the warm-up
  double warmup_epochs = 10;   // linear warm-up length, then cosine decay
  double min_lr = 1e-6;        // floor of the cosine decay
  double weight_decay = 0.05;  // AdamW decoupled decay; never applied to norms and biases
  double label_smoothing = 0.1;
  double grad_clip = 0;        // max global gradient norm; 0 = off
  std::string sampling = "uniform";  // SPOS path sampling
  std::int64_t seed = 0;
  int eval_paths = 5;          // K sampled paths evaluated per epoch
  int bn_recal_batches = 20;   // M training batches to re-estimate BN statistics
  std::string device = "auto";
  std::string channels_last = "auto";  // auto = on a CPU (use_channels_last)
  bool amp = false;
  int keep_last = 3;           // checkpoints kept besides the best
  int log_every = 50;          // ignored: progress lines are timed (TINYNAS_PROGRESS)
  int accumulate = 1;          // micro-batches per optimizer step on each rank
  int checkpoint_every = 0;    // steps between mid-epoch checkpoints; 0 = epoch ends only
  std::int64_t max_steps = 0;  // stop after this many steps (schedule unchanged); 0 = all
  double momentum = 0.9;       // SGD momentum
  int threads = 0;             // CPU compute threads per process; 0 = cores / local ranks
  bool zero_init_residual = false;  // residual branches start at zero (nn/init.h)

  template <class V>
  void visit(V& v) {
    v.field("epochs", epochs, "training epochs", Range{1, 100000});
    v.field("batch_size", batch_size, "global batch size (split across ranks)", Range{1, 65536});
    v.field("optimizer", optimizer, "optimizer", Choices{{"adamw", "sgd"}});
    v.field("lr", lr, "peak learning rate after warm-up", Range{0, 10});
    v.field("warmup_lr", warmup_lr, "learning rate at the start of the warm-up", Range{0, 10});
    v.field("warmup_epochs", warmup_epochs, "linear warm-up length in epochs", Range{0, 100000});
    v.field("min_lr", min_lr, "final learning rate of the cosine decay", Range{0, 10});
    v.field("weight_decay", weight_decay, "decoupled weight decay (not on norms/biases)",
            Range{0, 10});
    v.field("label_smoothing", label_smoothing, "label smoothing", Range{0, 0.999});
    v.field("grad_clip", grad_clip, "max global gradient norm; 0 = no clipping", Range{0, 1e6});
    v.field("sampling", sampling,
            "SPOS path sampling: uniform, or fair (each block's candidates visited equally)",
            Choices{{"uniform", "fair"}});
    v.field("seed", seed, "seed of every training random stream", Range{0, 9.0e15});
    v.field("eval_paths", eval_paths, "sampled paths evaluated each epoch", Range{0, 100000});
    v.field("bn_recal_batches", bn_recal_batches,
            "training batches used to re-estimate BatchNorm statistics before evaluation",
            Range{0, 100000});
    v.field("device", device, "compute device", Choices{{"auto", "cpu", "cuda"}});
    v.field("channels_last", channels_last,
            "channels-last (NHWC) memory format for convolutions: auto = on a CPU, where oneDNN "
            "runs it 1.3x faster, off on CUDA; true or false forces it",
            Choices{{"auto", "true", "false"}});
    v.field("amp", amp, "mixed precision (CUDA)");
    v.field("keep_last", keep_last, "checkpoints kept besides the best", Range{0, 1000});
    v.field("log_every", log_every,
            "ignored, accepted so older recipes load: off a terminal, progress lines come every "
            "10 s (TINYNAS_PROGRESS=lines:SECONDS sets the interval)",
            Range{1, 1000000});
    v.field("accumulate", accumulate,
            "micro-batches per optimizer step on each rank; a run on W processes with "
            "accumulate A equals one on W*A processes",
            Range{1, 1024});
    v.field("checkpoint_every", checkpoint_every,
            "steps between mid-epoch checkpoints; 0 = only at the end of each epoch",
            Range{0, 100000000});
    v.field("max_steps", max_steps,
            "stop after this many optimizer steps (the LR schedule still spans all epochs); "
            "0 = train every epoch",
            Range{0, 1e15});
    v.field("momentum", momentum, "SGD momentum", Range{0, 0.9999});
    v.field("threads", threads,
            "CPU compute threads per process; 0 = the machine's cores / processes on it",
            Range{0, 1024});
    v.field("zero_init_residual", zero_init_residual,
            "start every residual branch at zero (its last BatchNorm's scale), so each block "
            "starts as its shortcut; lets supernets of many candidates per block learn");
  }
};

struct DistributedConfig {
  std::string backend = "auto";  // auto = nccl on CUDA, gloo on CPU
  double timeout_s = 300;        // collective / rendezvous timeout
  double bucket_mb = 25;         // gradient all-reduce bucket size
  int nproc = 0;                 // processes started when no launcher did; 0 = auto

  template <class V>
  void visit(V& v) {
    v.field("backend", backend, "c10d backend; auto = nccl on CUDA, gloo on CPU",
            Choices{{"auto", "gloo", "nccl"}});
    v.field("timeout_s", timeout_s, "rendezvous and collective timeout in seconds",
            Range{1, 86400});
    v.field("bucket_mb", bucket_mb, "gradient all-reduce bucket size in MiB", Range{0.01, 4096});
    v.field("nproc", nproc,
            "processes `tinynas run` and `tinynas train` start on this machine when no launcher "
            "started them (--nproc overrides); 0 = auto: on a CPU one per core, each computing on "
            "one thread, as long as every rank keeps a micro-batch of 32 images or more; on CUDA 1",
            Range{0, 1024});
  }
};

struct SuperNasConfig {
  int analysis_samples = 1000;  // T_sup of Algorithm 1
  double accept_threshold = 0.9;
  double lambda_lo = 0.8;       // accepted params lie in [lambda_lo*L, lambda_up*L]
  double lambda_up = 2.8;
  std::string param_bound = "sram";  // L: the SRAM limit L_m (the paper) or flash L_s
  std::int64_t seed = 0;        // seed of the analysis and search samples
  bool search = false;          // also run Algorithm 2
  int supernets = 4;            // T_i
  int test_paths = 100;         // TestSupernet sample count
  int epochs = 10;              // training epochs per surviving supernet
  int paths = 10;               // T_j
  int sparse_configs = 5;       // T_k

  template <class V>
  void visit(V& v) {
    v.field("analysis_samples", analysis_samples, "T_sup: paths sampled by the space analysis",
            Range{1, 1000000});
    v.field("accept_threshold", accept_threshold, "acceptance probability needed", Range{0, 1});
    v.field("lambda_lo", lambda_lo, "lower parameter-count ratio to the memory limit",
            Range{0, 1000});
    v.field("lambda_up", lambda_up, "upper parameter-count ratio to the memory limit",
            Range{0, 1000});
    v.field("param_bound", param_bound,
            "limit L the lambda bounds scale: sram = run.sram_kb (L_m, as Algorithm 1 is "
            "printed), flash = run.flash_kb (L_s) or params = run.params_k",
            Choices{{"sram", "flash", "params"}});
    v.field("seed", seed, "seed of the sampled models, supernets, paths and sparse configs",
            Range{0, 9.0e15});
    v.field("search", search, "run the supernet search (Algorithm 2) after the analysis");
    v.field("supernets", supernets, "T_i: supernet candidates sampled", Range{1, 100000});
    v.field("test_paths", test_paths, "paths sampled by TestSupernet", Range{1, 100000});
    v.field("epochs", epochs, "training epochs per surviving supernet", Range{1, 100000});
    v.field("paths", paths, "T_j: paths evaluated per supernet", Range{1, 100000});
    v.field("sparse_configs", sparse_configs, "T_k: sparse configs per path", Range{1, 100000});
  }
};

struct SparseNasConfig {
  int candidates = 10;               // T_sin of Algorithm 3
  int epochs = 10;                   // stage 1 training per candidate
  int finetune_epochs = 50;          // stage 2
  std::vector<double> sparsity = {0.0, 0.3, 0.5, 0.7, 0.8, 0.9};
  std::vector<int> block = {2, 4};
  double agp_start = 0.1;            // fraction of the schedule before pruning starts (t0)
  double agp_end = 0.7;              // fraction of the schedule by which s_f is reached
  int agp_frequency = 50;            // Δt in steps
  std::int64_t seed = 0;             // seed of the stage-1 (path, sparse config) samples
  std::string sparse;                // a fixed sparse config line; "" = sample one per candidate
  // Stage-1 strategy (nas/strategy.h). random: Algorithm 3 (candidates drawn at random, each
  // trained `epochs` with AGP). evolution / nsga2: a search scored one-shot (block pruning +
  // BatchNorm recalibration, no training) over `evaluations` candidates, then `pick`.
  std::string strategy = "random";
  int evaluations = 3000;            // one-shot evaluation budget (evolution, nsga2)
  int population = 100;              // MCUNet's numbers: 100, top 20, p = 0.1, 50 + 50, 30
  int parents = 20;
  double mutation_prob = 0.1;
  double crossover_share = 0.5;
  int generations = 30;
  std::string objectives = "accuracy,latency";  // nsga2's objectives (the rest are limits)
  std::string pick = "best";         // which point of the search stage 2 fine-tunes
  double pick_accuracy = 0;          // pick: fastest: the fastest point at least this accurate
  int fitness_images = 0;            // validation images of a one-shot score; 0 = all
  int mobo_init = 40;                // mobo (nas/mobo.h): Latin hypercube genomes first,
  int mobo_batch = 10;               // then batches picked on the surrogate
  double mobo_kappa = 1.0;
  int mobo_population = 100;         // the surrogate NSGA-II's population and generations
  int mobo_generations = 20;

  template <class V>
  void visit(V& v) {
    v.field("candidates", candidates, "T_sin: (path, sparse config) candidates in stage 1",
            Range{1, 100000});
    v.field("epochs", epochs, "stage-1 training epochs per candidate", Range{0, 100000});
    v.field("finetune_epochs", finetune_epochs, "stage-2 fine-tuning epochs", Range{0, 100000});
    v.field("sparsity", sparsity, "per-block sparsity choices", Range{0, 0.99});
    v.field("block", block, "block size choices (depthwise conv always uses 3)", Range{1, 16});
    v.field("agp_start", agp_start, "fraction of training before pruning starts", Range{0, 1});
    v.field("agp_end", agp_end, "fraction of training by which final sparsity is reached",
            Range{0, 1});
    v.field("agp_frequency", agp_frequency,
            "steps between pruning updates (a run shorter than that prunes once, at agp_end)",
            Range{1, 1000000});
    v.field("seed", seed,
            "seed of the stage-1 candidates: candidate i's path and sparse config are a function "
            "of (seed, i)",
            Range{0, 9.0e15});
    v.field("sparse", sparse,
            "a fixed sparse config line (as 'tinynas space sample' prints) used by every "
            "stage-1 candidate instead of drawing one; empty = draw from sparsity x block");
    v.field("strategy", strategy,
            "stage-1 search: random = Algorithm 3 (each drawn candidate trained `epochs` with AGP); "
            "evolution / nsga2 = candidates scored one-shot (block pruning + BatchNorm "
            "recalibration) over `evaluations`, then `pick` goes to stage 2; mobo = the same, "
            "candidates proposed by multi-objective Bayesian optimisation (HyT-NAS)",
            Choices{{"random", "evolution", "nsga2", "mobo"}});
    v.field("evaluations", evaluations, "one-shot evaluation budget of evolution / nsga2",
            Range{1, 10000000});
    v.field("population", population, "evolution / nsga2 population size", Range{2, 100000});
    v.field("parents", parents, "evolution: the top candidates children are bred from",
            Range{1, 100000});
    v.field("mutation_prob", mutation_prob,
            "probability that a mutation redraws each choice block's candidate and sparsity",
            Range{0, 1});
    v.field("crossover_share", crossover_share,
            "share of each generation's children made by crossover (the rest by mutation)",
            Range{0, 1});
    v.field("generations", generations, "evolution / nsga2 generations (the budget may stop first)",
            Range{1, 1000000});
    v.field("objectives", objectives,
            "nsga2 objectives (accuracy up, the others down); resources not named stay limits",
            Choices{{"accuracy,latency", "accuracy,flash", "accuracy,latency,flash",
                     "accuracy,latency,flash,sram"}});
    v.field("pick", pick,
            "the searched point stage 2 fine-tunes: best = most accurate within the limits, knee "
            "= the accuracy/latency front's knee, fastest = lowest latency with accuracy >= "
            "pick_accuracy",
            Choices{{"best", "knee", "fastest"}});
    v.field("pick_accuracy", pick_accuracy, "pick: fastest: minimum one-shot accuracy in [0, 1]",
            Range{0, 1});
    v.field("mobo_init", mobo_init, "mobo: Latin hypercube genomes of the first generation",
            Range{1, 100000});
    v.field("mobo_batch", mobo_batch,
            "mobo: genomes per later generation, picked by hypervolume improvement on the surrogate",
            Range{1, 100000});
    v.field("mobo_kappa", mobo_kappa,
            "mobo: upper confidence bound = predicted accuracy + kappa * the ensemble's spread",
            Range{0, 100});
    v.field("mobo_population", mobo_population, "mobo: population of the surrogate's NSGA-II",
            Range{2, 100000});
    v.field("mobo_generations", mobo_generations, "mobo: generations of the surrogate's NSGA-II",
            Range{1, 100000});
    v.field("fitness_images", fitness_images,
            "validation images per one-shot score (the first ones of the split); 0 = all",
            Range{0, 100000000});
  }
};

struct QuantConfig {
  int calib_images = 512;
  std::string calibration = "minmax";
  double percentile = 99.99;
  bool equalize = true;

  template <class V>
  void visit(V& v) {
    v.field("calib_images", calib_images, "training images used for activation calibration",
            Range{1, 1000000});
    v.field("equalize", equalize,
            "before calibration, scale up the channels of a tensor between two convs / linears "
            "toward its full range, the next layer divided to match (activation equalization): "
            "same float model, fewer int8 levels lost");
    v.field("calibration", calibration, "activation range estimator",
            Choices{{"minmax", "percentile"}});
    v.field("percentile", percentile, "percentile for the percentile estimator",
            Range{50, 100});
  }
};

struct ExportConfig {
  std::string storage = "fast";  // per-layer weight storage
  int verify_images = 100;
  bool qemu = true;
  bool ignore_limits = false;
  std::string target = "m7";  // the Cortex-M build verify runs
  double mcu_mhz = 216;       // clock of the profile's milliseconds

  template <class V>
  void visit(V& v) {
    v.field("storage", storage,
            "weight storage per layer: fast = the faster of dense and run-length coded on "
            "export.target (latency model) within run.flash_kb; auto = the smaller",
            Choices{{"fast", "auto", "dense", "sparse"}});
    v.field("verify_images", verify_images, "test images used by verification",
            Range{0, 1000000});
    v.field("qemu", qemu, "also verify on the emulated Cortex-M7 when qemu is installed");
    v.field("ignore_limits", ignore_limits,
            "export a model whose exact arena, model data or effective parameters exceed "
            "run.sram_kb / run.flash_kb / run.params_k (with a warning) instead of failing");
    v.field("target", target,
            "the Cortex-M build the exported project defaults to and verify runs under QEMU: "
            "m7 = Cortex-M7 (mps2-an500), m4 = Cortex-M4 (mps2-an386); both are in the project",
            Choices{{"m7", "m4"}});
    v.field("mcu_mhz", mcu_mhz,
            "MCU clock in MHz for the per-op profile's milliseconds (verify --profile), taking one "
            "instruction per cycle (216: an STM32F7-class Cortex-M7)",
            Range{1, 10000});
  }
};

struct RunConfig {
  std::string name = "quickstart";
  std::string dir = "runs";
  double sram_kb = 64;    // peak activation memory limit of the target MCU (L_m)
  double flash_kb = 256;  // storage limit of the target MCU (L_s)
  double params_k = 0;    // effective-parameter budget in thousands; 0 = none
  double latency_ms = 0;  // latency limit at export.mcu_mhz on export.target; 0 = none

  template <class V>
  void visit(V& v) {
    v.field("name", name, "run name; results go to <dir>/<name>/");
    v.field("dir", dir, "directory holding run directories");
    v.field("sram_kb", sram_kb, "target SRAM limit in KiB (L_m)", Range{1, 1048576});
    v.field("flash_kb", flash_kb, "target flash limit in KiB (L_s)", Range{1, 1048576});
    v.field("params_k", params_k,
            "budget of effective parameters (after pruning) in thousands; 0 = none. SparseNAS, "
            "the supernet search, sweeps and 'space sample' reject paths over it; the space "
            "analysis (Algorithm 1) tests the memory limits only",
            Range{0, 1e9});
    v.field("latency_ms", latency_ms,
            "inference latency limit in milliseconds on export.target at export.mcu_mhz, from "
            "the cost model's latency tables (cost/latency.h); 0 = none. Checked wherever "
            "sram_kb / flash_kb are",
            Range{0, 1e9});
  }
};

struct PredictorConfig {
  // The accuracy predictor (nas/predictor.h): an ensemble of XGBoost regressors, each with
  // its hyper-parameters drawn from these grids (HyT-NAS §IV-A's).
  int ensemble = 5;
  std::vector<int> estimators = {100, 400, 800, 1000};
  std::vector<int> depth = {3, 6, 12};
  std::vector<double> learning_rate = {0.01, 0.1, 0.5};
  bool bootstrap = false;
  bool monotone = true;
  int threads = 0;  // prediction threads; 0 = the machine's cores

  template <class V>
  void visit(V& v) {
    v.field("ensemble", ensemble, "members of the accuracy predictor's ensemble", Range{1, 100});
    v.field("estimators", estimators, "boosting rounds each member draws from", Range{1, 100000});
    v.field("depth", depth, "tree depths each member draws from", Range{1, 64});
    v.field("learning_rate", learning_rate, "learning rates (eta) each member draws from",
            Range{1e-6, 1});
    v.field("bootstrap", bootstrap,
            "false: every member trains on all evaluations, as HyT-NAS's, so members differ only "
            "by their drawn hyper-parameters; true: each trains on its own bootstrap resample "
            "(more spread between members)");
    v.field("monotone", monotone,
            "predicted accuracy never rises along a block's sparsity column or the pruned "
            "fraction, all other features held (XGBoost monotone constraints; the cost "
            "features stay free)");
    v.field("threads", threads, "threads of a prediction; 0 = the machine's cores (training uses one)",
            Range{0, 1024});
  }
};

/// A fully resolved recipe.
struct Recipe {
  DataConfig data;
  SpaceConfig space;
  TrainConfig train;
  DistributedConfig distributed;
  SuperNasConfig supernas;
  SparseNasConfig sparsenas;
  QuantConfig quant;
  ExportConfig export_;  // `export` is a keyword
  RunConfig run;
  PredictorConfig predictor;

  /// Path of the recipe file this came from ("" when parsed from text); relative paths
  /// inside the recipe (space.file, data.root) resolve against its directory.
  std::string source;

  template <class V>
  void visit(V& v) {
    v.section("data", data, "dataset, split, augmentation and loading");
    v.section("space", space, "search space");
    v.section("train", train, "supernet / subnet training");
    v.section("distributed", distributed, "data-parallel training through c10d");
    v.section("supernas", supernas, "SuperNAS: space analysis and supernet search");
    v.section("sparsenas", sparsenas, "SparseNAS: path + sparse config search, AGP pruning");
    v.section("quant", quant, "INT8 post-training quantisation");
    v.section("export", export_, "C code generation for the MCU runtime");
    v.section("run", run, "run directory and target MCU limits");
    v.section("predictor", predictor, "accuracy predictor: XGBoost ensemble on one-shot evaluations");
  }
};

}  // namespace tinynas::config
