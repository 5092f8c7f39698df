#include "tinynas/train/subnet_trainer.h"

#include <torch/torch.h>

#include "loop.h"
#include "tinynas/core/error.h"

namespace tinynas::train {

struct SubnetTrainer::Impl : detail::LoopModel {
  detail::TrainLoop loop;
  space::SupernetLayout layout_;
  space::Subnet model;
  TrainHooks* hooks;

  Impl(TrainerOptions o, const data::Datasets& s, space::SupernetLayout l, space::Subnet m,
       DistributedGroup& g, TrainHooks* h)
      : loop(std::move(o), s, g), layout_(std::move(l)), model(std::move(m)), hooks(h) {
    if (!model) throw core::Error("SubnetTrainer: no model given");
    space::check_arch(model->arch(), layout_);
    loop.attach(*this);
  }

  torch::nn::Module& module() override { return *model; }
  const space::SupernetLayout& layout() const override { return layout_; }
  std::string describe() const override {
    return "subnet " + space::to_string(model->arch(), layout_) + " of " +
           loop.options().supernet_text;
  }
  std::string identity() const override {
    std::string id = "subnet " + space::to_string(model->arch(), layout_);
    const std::string h = hooks ? hooks->identity() : "";
    return h.empty() ? id : id + " " + h;
  }
  void start(std::int64_t total_steps) override {
    if (hooks) hooks->start(total_steps);
  }
  Forward forward_at(std::int64_t) override {
    return [this](const torch::Tensor& x) { return model->forward(x); };
  }
  void describe_step(std::int64_t step, core::Json& record) override {
    if (hooks) hooks->describe_step(step, record);
  }
  void before_forward(std::int64_t step) override {
    if (hooks) hooks->before_forward(step);
  }
  void before_update() override {
    if (hooks) hooks->before_update();
  }
  void after_update(std::int64_t step) override {
    if (hooks) hooks->after_update(step);
  }
  double evaluate_epoch(std::int64_t, core::Json& record) override {
    if (!loop.has_validation()) return -1;
    const auto r = evaluate(false);
    model->train();
    record["val_accuracy"] = r.accuracy();
    record["val_loss"] = r.loss();
    return r.accuracy();
  }
  EvalResult evaluate(bool recalibrate) {
    const Forward fwd = [this](const torch::Tensor& x) { return model->forward(x); };
    std::vector<std::shared_ptr<torch::nn::Module>> norms;
    if (recalibrate) norms = batch_norms(*model);
    // Always the recalibration loader's epoch 0: the figure then depends on the weights
    // only, not on the run's length (stage 1 and stage 2 measure the same dense subnet).
    return loop.evaluate(fwd, norms, 0);
  }
  void save_state(torch::serialize::OutputArchive& archive) const override {
    if (!hooks) return;
    torch::serialize::OutputArchive own;
    hooks->save(own);
    archive.write("hooks", own);
  }
  void load_state(torch::serialize::InputArchive& archive, const std::string& source) override {
    if (!hooks) return;
    torch::serialize::InputArchive own;
    if (!archive.try_read("hooks", own))
      core::fail_file(source, "has no 'hooks' state (written without pruning?)");
    hooks->load(own);
  }
};

SubnetTrainer::SubnetTrainer(TrainerOptions options, const data::Datasets& sets,
                             space::SupernetLayout layout, space::Subnet model,
                             DistributedGroup& group, TrainHooks* hooks)
    : impl_(std::make_unique<Impl>(std::move(options), sets, std::move(layout), std::move(model),
                                   group, hooks)) {}

SubnetTrainer::~SubnetTrainer() = default;

TrainResult SubnetTrainer::run() { return impl_->loop.run(); }

space::Subnet& SubnetTrainer::model() { return impl_->model; }

EvalResult SubnetTrainer::evaluate(bool recalibrate_bn) { return impl_->evaluate(recalibrate_bn); }

std::int64_t SubnetTrainer::total_steps() const { return impl_->loop.total_steps(); }

}  // namespace tinynas::train
