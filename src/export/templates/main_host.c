/* Host program of an exported model: classifies int8 images from a file.
 *
 *   ./classify IMAGES [COUNT]
 *
 * IMAGES is a raw file of images, one after the other, each APP_MODEL_INPUT_SIZE int8
 * values (already quantized, HWC; src/NAME_model.h gives the shape and the input
 * quantization; app_model.h names that model APP_MODEL_*).
 * COUNT, when given, classifies at most the first COUNT images. For each image it prints
 *
 *   image <i>: class <c> logits <l0> <l1> ... <lK-1>
 *
 * (i from 0, c the argmax of the int8 logits, which are printed as signed integers).
 * Exit status: 0 success, 1 usage, 2 an unreadable or malformed IMAGES file or a model the
 * runtime rejects, 3 an inference that failed.
 *
 * The same program for the Cortex-M7 is main_m7.c; both print the same `image` lines. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_model.h"
#include "tnn_model.h"

/* The tensor arena: every activation and scratch buffer of the model lives here (no
 * malloc). Not static, so that the symbol and its size show in nm and the map file. */
uint32_t tnn_arena[APP_MODEL_ARENA_SIZE / 4];

static const char* status_name(tnn_status s) {
  switch (s) {
    case TNN_OK: return "TNN_OK";
    case TNN_ERR_ARG: return "TNN_ERR_ARG (a null pointer or an out-of-range parameter)";
    case TNN_ERR_SHAPE: return "TNN_ERR_SHAPE (dimensions that do not fit together)";
    case TNN_ERR_BUFFER: return "TNN_ERR_BUFFER (arena or scratch buffer too small)";
    case TNN_ERR_MODEL: return "TNN_ERR_MODEL (corrupt or unsupported model data)";
    case TNN_ERR_UNSUPPORTED: return "TNN_ERR_UNSUPPORTED (not supported by this build)";
  }
  return "unknown status";
}

/* COUNT: a decimal integer >= 0. */
static int parse_count(const char* text, long* count) {
  char* end = NULL;
  errno = 0;
  *count = strtol(text, &end, 10);
  return errno == 0 && end != text && *end == '\0' && *count >= 0;
}

int main(int argc, char** argv) {
  const char* prog = argc > 0 ? argv[0] : "classify";
  const char* path;
  long limit = -1, size, images, i;
  FILE* f;
  tnn_model model;
  tnn_status st;
  int8_t* input;
  const int8_t* output;

  if (argc < 2 || argc > 3 || (argc == 3 && !parse_count(argv[2], &limit))) {
    fprintf(stderr,
            "usage: %s IMAGES [COUNT]\n"
            "  IMAGES: raw int8 images of %d bytes each (HWC, quantized)\n"
            "  COUNT:  classify at most the first COUNT images\n",
            prog, (int)APP_MODEL_INPUT_SIZE);
    return 1;
  }
  path = argv[1];

  st = tnn_model_init(&model, APP_MODEL_DATA, (uint32_t)sizeof APP_MODEL_DATA);
  if (st != TNN_OK) {
    fprintf(stderr, "%s: model %s: tnn_model_init failed with status %d: %s\n", prog,
            APP_MODEL_NAME, (int)st, status_name(st));
    return 2;
  }
  if (tnn_model_arena_size(&model) > (int32_t)sizeof tnn_arena ||
      tnn_model_input_size(&model) != APP_MODEL_INPUT_SIZE ||
      tnn_model_output_size(&model) != APP_MODEL_OUTPUT_SIZE) {
    fprintf(stderr,
            "%s: model %s: the model data (arena %ld B, input %ld, output %ld) does not match "
            APP_MODEL_HEADER " (arena %ld B, input %ld, output %ld)\n",
            prog, APP_MODEL_NAME, (long)tnn_model_arena_size(&model),
            (long)tnn_model_input_size(&model), (long)tnn_model_output_size(&model),
            (long)sizeof tnn_arena, (long)APP_MODEL_INPUT_SIZE, (long)APP_MODEL_OUTPUT_SIZE);
    return 2;
  }

  f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: %s: cannot open: %s\n", prog, path, strerror(errno));
    return 2;
  }
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "%s: %s: cannot determine the file size\n", prog, path);
    fclose(f);
    return 2;
  }
  if (size % APP_MODEL_INPUT_SIZE != 0) {
    fprintf(stderr,
            "%s: %s: size %ld bytes is not a multiple of the image size %ld bytes "
            "(int8 HWC %s)\n",
            prog, path, size, (long)APP_MODEL_INPUT_SIZE, APP_MODEL_NAME);
    fclose(f);
    return 2;
  }
  images = size / APP_MODEL_INPUT_SIZE;
  if (limit >= 0 && limit < images) images = limit;

  input = tnn_model_input(&model, tnn_arena);
  output = tnn_model_output(&model, tnn_arena);
  for (i = 0; i < images; ++i) {
    int32_t k;
    /* Read straight into the input tensor, inside the arena. */
    if (fread(input, 1, APP_MODEL_INPUT_SIZE, f) != (size_t)APP_MODEL_INPUT_SIZE) {
      fprintf(stderr, "%s: %s: read error at image %ld\n", prog, path, i);
      fclose(f);
      return 2;
    }
    st = tnn_model_invoke(&model, tnn_arena, (int32_t)sizeof tnn_arena);
    if (st != TNN_OK) {
      fprintf(stderr, "%s: image %ld: tnn_model_invoke failed with status %d: %s\n", prog, i,
              (int)st, status_name(st));
      fclose(f);
      return 3;
    }
    printf("image %ld: class %ld logits", i,
           (long)tnn_argmax_s8(output, APP_MODEL_OUTPUT_SIZE));
    for (k = 0; k < APP_MODEL_OUTPUT_SIZE; ++k) printf(" %d", (int)output[k]);
    printf("\n");
  }
  fclose(f);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "%s: cannot write the results\n", prog);
    return 2;
  }
  return 0;
}
