# Runs the kernel tester for CTest (tests/runtime/target/CMakeLists.txt) and passes only
# when it ran to its end without a failure: exit status 0 and a last line
# "N passed, 0 failed" with N > 0; on a target also "__ARM_FEATURE_DSP: 1" (the DSP
# paths are the ones under test there).
#   cmake -DTESTER=exe -DCASES=n -DSEED=s -P run_tester.cmake                   (host)
#   cmake -DARM_GCC=gcc -DQEMU=qemu -DMACHINE=board -DELF=elf -DCASES=n -DSEED=s
#         -P run_tester.cmake                                                   (target)
if(DEFINED ELF)
  if(NOT ARM_GCC OR NOT QEMU)
    message(FATAL_ERROR
      "arm-none-eabi-gcc or qemu-system-arm was not found when the build was configured "
      "(arm-none-eabi-gcc: '${ARM_GCC}', qemu-system-arm: '${QEMU}'): tools/setup.sh "
      "installs them (gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm); then "
      "re-run cmake and build")
  endif()
  if(NOT EXISTS ${ELF})
    message(FATAL_ERROR "${ELF} is not built: build the project (or its kernel_tester targets)")
  endif()
  set(command ${QEMU} -M ${MACHINE} -nographic -monitor none -serial none
      -semihosting-config enable=on,target=native,arg=kernel_tester,arg=${CASES},arg=${SEED}
      -kernel ${ELF})
else()
  set(command ${TESTER} ${CASES} ${SEED})
endif()

execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out
                ERROR_VARIABLE out TIMEOUT 55)
message("${out}")
if(NOT status STREQUAL "0")
  message(FATAL_ERROR "the kernel tester exited with status '${status}'")
endif()
if(NOT out MATCHES "(^|\n)[1-9][0-9]* passed, 0 failed\n*$")
  message(FATAL_ERROR "the kernel tester's output does not end in 'N passed, 0 failed'")
endif()
if(DEFINED ELF AND NOT out MATCHES "(^|\n)__ARM_FEATURE_DSP: 1 ")
  message(FATAL_ERROR "the target build has no __ARM_FEATURE_DSP: its DSP paths went untested")
endif()
