/* Startup code for the Cortex-M7 (QEMU's mps2-an500) and M4 (mps2-an386) builds (mps2.ld),
 * with newlib and librdimon (ARM semihosting: stdio, files, the command line and exit go to the host).
 * Linked with -nostartfiles: this file replaces crt0, crti/crtn and crtbegin/crtend.
 *
 * Reset_Handler: copies .data from flash, zeroes .tnn_arena and .bss, enables the FPU
 * when the build uses one, initializes librdimon's stdio handles, runs the constructors
 * (and registers the destructors with atexit),
 * builds argc/argv from the semihosting command line (SYS_GET_CMDLINE) and calls
 * exit(main(argc, argv)); newlib's exit flushes stdio and ends the QEMU process with the
 * status (SYS_EXIT_EXTENDED, so QEMU's own exit status is main's return value).
 * A fault or an unexpected interrupt prints its name through semihosting and stops QEMU
 * with a non-zero status instead of hanging.
 *
 * On a real board (no debugger attached) semihosting traps: replace librdimon's
 * _write/_read (e.g. with a UART) and link with --specs=nosys.specs instead. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Linker script symbols. */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern char __heap_start[], __heap_end[];
extern char __stack_limit[], __stack_top[];

/* newlib / librdimon. */
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);
extern void __libc_fini_array(void);
extern int main(int argc, char** argv);

void Reset_Handler(void);
void Default_Handler(void);
void NMI_Handler(void);
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void _init(void);
void _fini(void);
void* _sbrk(ptrdiff_t increment);

/* ---- semihosting ------------------------------------------------------------------ */

#define SEMIHOSTING_SYS_WRITE0 0x04
#define SEMIHOSTING_SYS_GET_CMDLINE 0x15
#define SEMIHOSTING_SYS_EXIT 0x18
#define ADP_STOPPED_RUNTIME_ERROR_UNKNOWN 0x20023

static int semihosting_call(int op, void* arg) {
  register int r0 __asm__("r0") = op;
  register void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

/* Ends the QEMU process with a failure status (1), whatever state the C library is in. */
static void semihosting_abort(const char* message) {
  semihosting_call(SEMIHOSTING_SYS_WRITE0, (void*)message);
  /* On AArch32 the argument is the reason code itself; any code other than
   * ADP_Stopped_ApplicationExit makes QEMU exit with status 1. */
  semihosting_call(SEMIHOSTING_SYS_EXIT, (void*)(uintptr_t)ADP_STOPPED_RUNTIME_ERROR_UNKNOWN);
  for (;;) {
  }
}

/* ---- argc / argv from the semihosting command line ------------------------------- */

/* QEMU returns the -semihosting-config arg=... values joined by spaces, or, without any,
 * the -kernel file name followed by the -append text. Words are split at spaces; '...'
 * or "..." quote a word with spaces. */
#define TNN_CMDLINE_SIZE 512
#define TNN_MAX_ARGS 16
static char tnn_cmdline[TNN_CMDLINE_SIZE];
static char* tnn_argv[TNN_MAX_ARGS + 1];

static int parse_cmdline(void) {
  static const char fallback[] = "model_m7.elf";
  uint32_t block[2];
  int argc = 0;
  char* p = tnn_cmdline;
  block[0] = (uint32_t)(uintptr_t)tnn_cmdline;
  block[1] = TNN_CMDLINE_SIZE;
  if (semihosting_call(SEMIHOSTING_SYS_GET_CMDLINE, block) != 0) {
    size_t i;
    for (i = 0; i < sizeof fallback; ++i) tnn_cmdline[i] = fallback[i];
  }
  tnn_cmdline[TNN_CMDLINE_SIZE - 1] = '\0';
  while (*p != '\0' && argc < TNN_MAX_ARGS) {
    char quote = 0;
    char* out;
    while (*p == ' ' || *p == '\t') ++p;
    if (*p == '\0') break;
    tnn_argv[argc++] = out = p;
    while (*p != '\0' && (quote || (*p != ' ' && *p != '\t'))) {
      if (!quote && (*p == '"' || *p == '\'')) quote = *p++;
      else if (quote && *p == quote) quote = 0, ++p;
      else *out++ = *p++;
    }
    if (*p != '\0') ++p;
    *out = '\0';
  }
  tnn_argv[argc] = NULL;
  return argc;
}

/* ---- reset -------------------------------------------------------------------------- */

void Reset_Handler(void) {
  uint32_t* src = __data_load;
  uint32_t* dst;
  for (dst = __data_start; dst < __data_end;) *dst++ = *src++;
  for (dst = __bss_start; dst < __bss_end;) *dst++ = 0;
#if defined(__ARM_FP)
  /* CPACR: full access to CP10 and CP11 (the FPU), before any floating-point code. */
  *(volatile uint32_t*)0xE000ED88u |= 0xFu << 20;
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  initialise_monitor_handles();
  atexit(__libc_fini_array);
  __libc_init_array();
  {
    const int argc = parse_cmdline();
    exit(main(argc, tnn_argv));
  }
}

/* __libc_init_array / __libc_fini_array call these (crti.o is not linked). */
void _init(void) {}
void _fini(void) {}

/* The C library's heap: the .heap section, never beyond it (the runtime itself does not
 * allocate; newlib's stdio does). Replaces librdimon's weak _sbrk, which bounds the heap
 * by the stack pointer. */
void* _sbrk(ptrdiff_t increment) {
  static char* brk = __heap_start;
  char* prev = brk;
  if (increment > __heap_end - brk || increment < __heap_start - brk) return (void*)-1;
  brk += increment;
  return prev;
}

/* ---- exceptions ----------------------------------------------------------------------- */

void NMI_Handler(void) { semihosting_abort("fatal: NMI\n"); }
void HardFault_Handler(void) { semihosting_abort("fatal: HardFault\n"); }
void MemManage_Handler(void) { semihosting_abort("fatal: MemManage fault\n"); }
void BusFault_Handler(void) { semihosting_abort("fatal: BusFault\n"); }
void UsageFault_Handler(void) { semihosting_abort("fatal: UsageFault\n"); }
void Default_Handler(void) { semihosting_abort("fatal: unexpected interrupt\n"); }

/* The vector table: the initial stack pointer, then the handlers (16 system exceptions,
 * 32 external interrupts; QEMU's mps2-an500 has 32). VTOR resets to 0, where
 * mps2.ld puts .isr_vector. */
typedef void (*tnn_handler)(void);
typedef struct {
  char* initial_sp;
  tnn_handler handlers[15 + 32];
} tnn_vector_table;

__attribute__((section(".isr_vector"), used)) const tnn_vector_table tnn_vectors = {
    __stack_top,
    {
        Reset_Handler,      /* 1 reset */
        NMI_Handler,        /* 2 NMI */
        HardFault_Handler,  /* 3 HardFault */
        MemManage_Handler,  /* 4 MemManage */
        BusFault_Handler,   /* 5 BusFault */
        UsageFault_Handler, /* 6 UsageFault */
        0, 0, 0, 0,         /* 7..10 reserved */
        Default_Handler,    /* 11 SVCall */
        Default_Handler,    /* 12 DebugMonitor */
        0,                  /* 13 reserved */
        Default_Handler,    /* 14 PendSV */
        Default_Handler,    /* 15 SysTick */
        /* 16.. external interrupts */
        Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
        Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
        Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
        Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
        Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
        Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,
        Default_Handler, Default_Handler,
    },
};
