# Post-processes the compiler's assembly for the op templates.
# -DIN=<file.s> -DOUT=<file.s> -DREWRITE=<name>, the name from the arch's
# CJ_ASM_REWRITE (arch/<dir>/arch_copyjit.h), "none" without one.
#   mips-j-to-b: a direct `j sym` encodes bits of the absolute target
#   address, so a copied op would jump back into the template. `b sym`
#   (beq $0,$0) is PC-relative with the same delay slot: rewrite every
#   direct j into b.
#   s390x-ops-align2: each op section's `.align 8` becomes `.align 2` (GCC;
#   see below).
#   arc-align4: see below (ARC branches count from PCL, the 4-aligned PC).
#   alpha-plain-br: GCC marks a direct tail branch `br $31,sym !samegp`
#   (BRSGP: skip the target's ldgp), which GNU ld refuses against the
#   linker script's end symbols ("!samegp reloc against symbol without
#   .prologue"): drop the marker, leaving a plain PC-relative br.
file(READ "${IN}" text)
if(REWRITE STREQUAL "mips-j-to-b")
  # Symbols, and LLVM's local labels ($BB0_1, $tmp0); not registers (j $31).
  string(REGEX REPLACE "\n([ \t]+)j([ \t]+)([A-Za-z_.]|\\$BB|\\$tmp)" "\n\\1b\\2\\3" text "${text}")
elseif(REWRITE STREQUAL "s390x-ops-align2")
  # GCC aligns every s390x function to 8 (FUNCTION_BOUNDARY, whatever
  # -falign-functions says) and GNU as then pads each op's section up to
  # that alignment with `nopr %r7`, so the tail jump is no longer last and
  # cannot be dropped. Instructions only need 2: align op sections to 2.
  string(REGEX REPLACE "(\n[ \t]*\\.section[ \t]+cj[ABC]s_[A-Za-z0-9_]+[^\n]*\n[ \t]*)\\.align[ \t]+8" "\\1.align\t2" text "${text}")
elseif(REWRITE STREQUAL "alpha-plain-br")
  string(REGEX REPLACE "[ \t]+!samegp" "" text "${text}")
elseif(REWRITE STREQUAL "arc-align4")
  # ARC branches and pcl operands count from PCL (the address with bits 1:0
  # cleared), so a copy must sit at its template's address mod 4. 4-align
  # each direct branch to an op's end symbol (the tail jump) and each op's
  # end (`.size` of a cj<V>_ function): every op is then a multiple of 4
  # bytes, stripped or not. GNU as pads with nop_s.
  string(REGEX REPLACE "\n([ \t]+)b([ \t]+)@?(cj[ABC]e_)" "\n\\1.balign 4\n\\1b\\2@\\3" text "${text}")
  string(REGEX REPLACE "\n([ \t]*)\\.size([ \t]+cj[ABC]_)" "\n\\1.balign 4\n\\1.size\\2" text "${text}")
elseif(NOT REWRITE STREQUAL "none")
  message(FATAL_ERROR "rewrite_asm.cmake: unknown rewrite '${REWRITE}' (CJ_ASM_REWRITE)")
endif()
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
