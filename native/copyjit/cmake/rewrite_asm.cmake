# Post-processes the compiler's assembly for the op templates.
# -DIN=<file.s> -DOUT=<file.s> -DREWRITE=<name>, the name from the arch's
# CJ_ASM_REWRITE (arch/<dir>/arch_copyjit.h), "none" without one.
#   mips-j-to-b: a direct `j sym` encodes bits of the absolute target
#   address, so a copied op would jump back into the template. `b sym`
#   (beq $0,$0) is PC-relative with the same delay slot: rewrite every
#   direct j into b.
#   s390x-ops-align2: each op section's `.align 8` becomes `.align 2` (GCC;
#   see below).
#   alpha-plain-br: GCC marks a direct tail branch `br $31,sym !samegp`
#   (BRSGP: skip the target's ldgp), which GNU ld refuses against the
#   linker script's end symbols ("!samegp reloc against symbol without
#   .prologue"): drop the marker, leaving a plain PC-relative br.
#   ppc-stub-to-end: see CJ_LOCAL_END_STUBS in src/ops_body.h.
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
elseif(REWRITE STREQUAL "ppc-stub-to-end")
  # CJ_LOCAL_END_STUBS (ops_body.h): a branch to the local stub cj<V>t_<op>
  # becomes one to the op's end symbol cj<V>e_<op>; the stubs' own
  # definitions (labels, directives) stay. Any other call to a stub (bl)
  # is left alone, so copyjit --check still sees it.
  string(REGEX REPLACE "\n([ \t]+b[ \t]+)cj([ABC])t_" "\n\\1cj\\2e_" text "${text}")
  # CJ_TAIL's stub takes the target as a 7th argument, r9 (CJ_WIDE_REGS uses
  # r3..r8): jump through it, with r12 = the target as ELFv2's global entry
  # expects.
  string(REGEX REPLACE "\n([ \t]+)b[ \t]+cj[ABC]_jump_stub[ \t]*\n"
         "\n\\1mr 12,9\n\\1mtctr 12\n\\1bctr\n" text "${text}")
  # ELFv2 global entry: r2 from r12. The copied ops run at other addresses
  # and are entered by falling through, so drop it; r2 stays the caller's,
  # which is this executable's one TOC (copyjit is linked statically).
  string(REGEX REPLACE "\n([^\n]*[ \t])?addis[ \t]+2,[ \t]*12,[ \t]*\\.TOC\\.-[^\n]*@ha\n[ \t]*addi[ \t]+2,[ \t]*2,[ \t]*\\.TOC\\.-[^\n]*@l\n"
         "\n\\1\n" text "${text}")
  # ELFv1 with clang: an op's code has no .L.<op> label (GCC's name, which
  # the arch's self-address asm uses) but .Lfunc_beginN, named in the op's
  # .opd descriptor: define the one as the other.
  string(REGEX REPLACE "\n(cj[ABC]_[A-Za-z0-9_]+):([^\n]*)\n([ \t]*\\.p2align[ \t]+3\n)?[ \t]*\\.quad[ \t]+(\\.Lfunc_begin[0-9]+)\n"
         "\n\\1:\\2\n\\3\t.quad\t\\4\n\t.set .L.\\1, \\4\n" text "${text}")
elseif(NOT REWRITE STREQUAL "none")
  message(FATAL_ERROR "rewrite_asm.cmake: unknown rewrite '${REWRITE}' (CJ_ASM_REWRITE)")
endif()
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
