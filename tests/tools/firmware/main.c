/* The two-model firmware of tests/tools/two_model_firmware.sh: two exported models
 * (alpha_net and beta), each initialised once with its own arena, run in turn on their
 * images; both stay valid side by side. Built for the Cortex-M7 (mps2-an500, startup_m7.c
 * and mps2.ld of an exported project, I/O through semihosting) and, through the Zephyr
 * glue with plain-CMake stand-ins, for the host.
 *
 *   firmware ALPHA_IMAGES BETA_IMAGES
 *
 * prints `alpha_net image <i>: class <c> logits ...` and `beta image <i>: ...` lines, as the
 * exported programs print `image` lines. Exit status 0, or 1 with a message. */
#include <stdio.h>

#include "alpha_net_model.h"
#include "beta_model.h"
#include "tnn_model.h"

static uint32_t alpha_arena[ALPHA_NET_MODEL_ARENA_SIZE / 4];
static uint32_t beta_arena[BETA_MODEL_ARENA_SIZE / 4];

typedef struct {
  const char* name;
  tnn_model model;
  uint32_t* arena;
  int32_t arena_size;
  int32_t input_size;
  int32_t output_size;
  FILE* images;
} runner;

static int open_model(runner* r, const uint32_t* data, uint32_t bytes, const char* path) {
  const tnn_status st = tnn_model_init(&r->model, data, bytes);
  if (st != TNN_OK) {
    printf("%s: tnn_model_init failed with status %d\n", r->name, (int)st);
    return 0;
  }
  if (tnn_model_arena_size(&r->model) > r->arena_size || tnn_model_input_size(&r->model) != r->input_size ||
      tnn_model_output_size(&r->model) != r->output_size) {
    printf("%s: the model data does not match its header\n", r->name);
    return 0;
  }
  r->images = fopen(path, "rb");
  if (!r->images) printf("%s: cannot open %s\n", r->name, path);
  return r->images != NULL;
}

/* Image `index` of the model's file, classified; 0 at the end of the file, -1 on error. */
static int classify(runner* r, long index) {
  int8_t* in = tnn_model_input(&r->model, r->arena);
  const int8_t* out;
  int32_t k;
  if (fread(in, 1, (size_t)r->input_size, r->images) != (size_t)r->input_size) return 0;
  if (tnn_model_invoke(&r->model, r->arena, r->arena_size) != TNN_OK) {
    printf("%s: image %ld: tnn_model_invoke failed\n", r->name, index);
    return -1;
  }
  out = tnn_model_output(&r->model, r->arena);
  printf("%s image %ld: class %ld logits", r->name, index, (long)tnn_argmax_s8(out, r->output_size));
  for (k = 0; k < r->output_size; ++k) printf(" %d", (int)out[k]);
  printf("\n");
  return 1;
}

int main(int argc, char** argv) {
  runner alpha = {"alpha_net", {0}, alpha_arena, (int32_t)sizeof alpha_arena, ALPHA_NET_MODEL_INPUT_SIZE,
                  ALPHA_NET_MODEL_OUTPUT_SIZE, NULL};
  runner beta = {"beta", {0}, beta_arena, (int32_t)sizeof beta_arena, BETA_MODEL_INPUT_SIZE,
                 BETA_MODEL_OUTPUT_SIZE, NULL};
  long i;
  int a = 1, b = 1;
  if (argc != 3) {
    printf("usage: firmware ALPHA_IMAGES BETA_IMAGES\n");
    return 1;
  }
  if (!open_model(&alpha, alpha_net_model_data, ALPHA_NET_MODEL_DATA_BYTES, argv[1]) ||
      !open_model(&beta, beta_model_data, BETA_MODEL_DATA_BYTES, argv[2]))
    return 1;
  for (i = 0; a > 0 || b > 0; ++i) {  /* interleaved: both models live at once */
    if (a > 0) a = classify(&alpha, i);
    if (b > 0) b = classify(&beta, i);
  }
  fclose(alpha.images);
  fclose(beta.images);
  return a < 0 || b < 0;
}
