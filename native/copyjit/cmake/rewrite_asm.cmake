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
#   sh4-bra-tail: see below (SH tail calls load an absolute literal).
#   alpha-plain-br: GCC marks a direct tail branch `br $31,sym !samegp`
#   (BRSGP: skip the target's ldgp), which GNU ld refuses against the
#   linker script's end symbols ("!samegp reloc against symbol without
#   .prologue"): drop the marker, leaving a plain PC-relative br.
#   ppc-stub-to-end: see CJ_LOCAL_END_STUBS in src/ops_body.h.
file(READ "${IN}" text)
# -DVARIANT=B|C: the assembly was compiled as variant A; its symbols
# (cjA_op, cjAe_op, cjAs_op sections, cjAt_ stubs, cjA_jump_stub,
# cj_ops_thumb_A) take the variant's letter. Nothing else differs.
if(DEFINED VARIANT AND NOT VARIANT STREQUAL "A")
  if(NOT VARIANT MATCHES "^[BC]$")
    message(FATAL_ERROR "rewrite_asm.cmake: VARIANT must be A, B or C, not '${VARIANT}'")
  endif()
  set(text "\n${text}")
  string(REGEX REPLACE "([^A-Za-z0-9_$])cjA([a-z]?_)" "\\1cj${VARIANT}\\2" text "${text}")
  string(REGEX REPLACE "([^A-Za-z0-9_$])cj_ops_thumb_A([^A-Za-z0-9_])" "\\1cj_ops_thumb_${VARIANT}\\2" text "${text}")
  string(SUBSTRING "${text}" 1 -1 text)
endif()
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
elseif(REWRITE STREQUAL "arc-align4")
  # ARC branches and pcl operands count from PCL (the address with bits 1:0
  # cleared), so a copy must sit at its template's address mod 4. 4-align
  # each direct branch to an op's end symbol (the tail jump) and each op's
  # end (`.size` of a cj<V>_ function): every op is then a multiple of 4
  # bytes, stripped or not. GNU as pads with nop_s.
  string(REGEX REPLACE "\n([ \t]+)b([ \t]+)@?(cj[ABC]e_)" "\n\\1.balign 4\n\\1b\\2@\\3" text "${text}")
  string(REGEX REPLACE "\n([ \t]*)\\.size([ \t]+cj[ABC]_)" "\n\\1.balign 4\n\\1.size\\2" text "${text}")
elseif(REWRITE STREQUAL "sh4-bra-tail")
  # GCC's SH tail call to an op's end symbol is `mov.l .Lk,rN; jmp @rN` with
  # `.Lk: .long cj<V>e_<op>` (an absolute address) in the pool after it; GNU
  # as cannot emit a bra to an undefined symbol. Each such pair becomes
  # `bra .Lk_cjend` (the delay-slot nop stays), the pool entry becomes
  # `.set .Lk_cjend, .Lcjend_cj<V>e_<op>`, and that label is defined at the
  # op's end (variant B: 64 bytes further, where ops.ld puts cjBe_). A load
  # of .Lk that is not such a pair now names an undefined label: the
  # assembler stops. The bra and the op's end are 4-aligned (mova and
  # mov.l @(disp,pc) count from the 4-aligned PC; see arc-align4).
  # Per op section (GCC puts each function's pool at its end). The load and
  # the jump may have epilogue instructions between them (a register pop):
  # kept, provided none branches or names rN.
  string(REPLACE ";" "@CJSEMI@" text "${text}")
  string(REPLACE "\n\t.section\t" "\n;\t.section\t" _chunks "${text}")
  set(text "")
  foreach(_c IN LISTS _chunks)
    string(REGEX MATCHALL "\n\\.L[0-9]+:\n\t\\.long\tcj[ABC]e_[A-Za-z0-9_]+\n" _pools "${_c}")
    foreach(_p IN LISTS _pools)
      string(REGEX MATCH "^\n(\\.L[0-9]+):\n\t\\.long\t(cj[ABC]e_[A-Za-z0-9_]+)\n$" _m "${_p}")
      set(_lab "${CMAKE_MATCH_1}")
      set(_sym "${CMAKE_MATCH_2}")
      string(REPLACE "." "\\." _rl "${_lab}")
      set(_pair "\tmov\\.l\t${_rl},(r[0-9]+)\n((\t[^j\n][^\n]*\n)*)\tjmp\t@(r[0-9]+)\n")
      string(REGEX MATCHALL "${_pair}" _tails "${_c}")
      foreach(_t IN LISTS _tails)
        string(REGEX MATCH "^\tmov\\.l\t[^,]*,(r[0-9]+)\n" _m "${_t}")
        set(_r1 "${CMAKE_MATCH_1}")
        string(REGEX MATCH "\tjmp\t@(r[0-9]+)\n$" _m "${_t}")
        set(_r2 "${CMAKE_MATCH_1}")
        string(REGEX REPLACE "^\tmov\\.l\t[^\n]*\n" "" _mid "${_t}")
        string(REGEX REPLACE "\tjmp\t[^\n]*\n$" "" _mid "${_mid}")
        if(NOT _r1 STREQUAL _r2 OR _mid MATCHES "\t(b|rt|j)" OR _mid MATCHES "[^0-9a-z]${_r1}([^0-9]|$)")
          message(FATAL_ERROR "rewrite_asm.cmake (sh4-bra-tail): not a plain tail call to ${_sym}:\n${_t}")
        endif()
      endforeach()
      string(REGEX REPLACE "${_pair}" "\\2\t.balign 4\n\tbra\t${_lab}_cjend\n" _c "${_c}")
      string(REPLACE "${_p}" "\n\t.set\t${_lab}_cjend, .Lcjend_${_sym}\n" _c "${_c}")
    endforeach()
    string(APPEND text "${_c}")
  endforeach()
  string(REPLACE "@CJSEMI@" ";" text "${text}")
  string(REGEX REPLACE "\n(\t\\.size\t)cj([AC])_([A-Za-z0-9_]+)," "\n\t.balign 4\n.Lcjend_cj\\2e_\\3:\n\\1cj\\2_\\3," text "${text}")
  string(REGEX REPLACE "\n(\t\\.size\t)cjB_([A-Za-z0-9_]+)," "\n\t.balign 4\n\t.set\t.Lcjend_cjBe_\\2, . + 64\n\\1cjB_\\2," text "${text}")
elseif(NOT REWRITE STREQUAL "none")
  message(FATAL_ERROR "rewrite_asm.cmake: unknown rewrite '${REWRITE}' (CJ_ASM_REWRITE)")
endif()
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
