# Post-processes the compiler's assembly for the op templates.
# -DIN=<file.s> -DOUT=<file.s> -DARCH=<matrix arch>
# mips: a direct `j sym` encodes bits of the absolute target address, so a
# copied op would jump back into the template. `b sym` (beq $0,$0) is
# PC-relative with the same delay slot: rewrite every direct j into b.
file(READ "${IN}" text)
if(ARCH MATCHES "^mips")
  # Symbols, and LLVM's local labels ($BB0_1, $tmp0); not registers (j $31).
  string(REGEX REPLACE "\n([ \t]+)j([ \t]+)([A-Za-z_.]|\\$BB|\\$tmp)" "\n\\1b\\2\\3" text "${text}")
endif()
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
