#!/bin/sh
# check_templates.sh TRIPLE BUILD_DIR [OBJECT]: copyjit's template check done
# on the op object file with the cross binutils (TRIPLE-objdump), on the
# build host: nothing is executed, so it also runs where no emulator exists.
# Prints TAP, one line per op section (cjAs_<op>) of variant A
# (BUILD_DIR/copyjit/ops_a.o unless OBJECT is given). An op passes when:
#  * every relocation in its section is PC-relative and refers to the op
#    itself (its end symbol cjAe_<op>, i.e. the next op once copied, or a
#    symbol in its own section: its start, a local label; or its data
#    symbol cjAd_<op>, which ops.ld.in defines as its start + CJ_DATA_DIST,
#    on the arches that read data slots through it): anything else (a libgcc or libc call, .rodata, the GOT, an
#    absolute address, a page-relative address) is a reference out of the
#    template that a copy would break;
#  * every instruction that refers to the next op jumps there (a call to it
#    means the compiler did not make a tail call: the native stack grows
#    with every op);
#  * it ends in that jump (the last instruction, or the last but a delay
#    slot), or it jumps there elsewhere (kept whole, like copyjit --check
#    keeps it), or it is one of the ops that never fall through (halt,
#    trap, jmp, call, ret, and beq/bge/bgeu of a register with itself);
#  * its size is 1..512 bytes.
# This is the static half of `copyjit --check`: the dynamic half (A vs C
# link addresses, the stack check) needs the target. OBJDUMP overrides the
# objdump to use. Exit status 1 when an op fails, 2 when the object cannot
# be read.
set -u
triple=${1:?usage: check_templates.sh TRIPLE BUILD_DIR [OBJECT]}
build=${2:?usage: check_templates.sh TRIPLE BUILD_DIR [OBJECT]}
obj=${3:-$build/copyjit/ops_a.o}
objdump=${OBJDUMP:-$triple-objdump}
if [ ! -r "$obj" ]; then
    echo "Bail out! no op object $obj (was copyjit built?)"
    exit 2
fi
if ! command -v "$objdump" >/dev/null 2>&1; then
    echo "Bail out! $objdump is not installed (binutils-$triple; OBJDUMP= names another)"
    exit 2
fi
tmp=${TMPDIR:-/tmp}/cj-check.$$
trap 'rm -f "$tmp.t" "$tmp.h" "$tmp.d"' EXIT INT TERM
if ! "$objdump" -t "$obj" >"$tmp.t" || ! "$objdump" -h "$obj" >"$tmp.h" || ! "$objdump" -dr "$obj" >"$tmp.d"; then
    echo "Bail out! $objdump cannot read $obj"
    exit 2
fi
awk -v obj="$obj" -v triple="$triple" '
# Pass 0 (objdump -t): the section of each symbol (the op s own labels, e.g.
# riscv s branch and %pcrel_lo targets, are relocated against in its section).
FILENAME == ARGV[1] {
    if (split($0, tf, "\t") == 2) { nf0 = split(tf[1], lf, " "); nn = split(tf[2], rf, " "); symsec[rf[nn]] = lf[nf0] }
    next
}
# Pass 1 (objdump -h): op sections and their sizes.
FILENAME == ARGV[2] {
    if ($2 ~ /^cjAs_/) { n++; name[n] = substr($2, 6); size[substr($2, 6)] = strtonum_hex($3) }
    next
}
function strtonum_hex(s,    i, c, v) {
    v = 0; s = tolower(s); sub(/^0x/, "", s)
    for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); v = v * 16 + c - 1 }
    return v
}
function flush(    k) {
    if (cur == "") return
    ninsn[cur] = ni
    for (k = 1; k <= ni; k++) { ioff[cur, k] = io[k]; itxt[cur, k] = it[k]; iref[cur, k] = ir[k] }
    cur = ""
}
# Pass 2 (objdump -dr): instructions and relocations per op section.
/^Disassembly of section / {
    flush(); s = $4; sub(/:$/, "", s)
    if (s ~ /^cjAs_/) { cur = substr(s, 6); ni = 0; nrel[cur] = 0 }
    next
}
cur == "" { next }
# A relocation line: "<tab><tab><tab>OFF: TYPE<tab>SYMBOL[+-ADDEND]"
/^[ \t]+[0-9a-f]+: [A-Za-z_][A-Za-z0-9_.]*[ \t]+[^ \t]/ {
    off = $1; sub(/:$/, "", off); typ = $2; sym = $3; sub(/[+-]0x[0-9a-f]+$/, "", sym)
    if (typ ~ /_NONE$/) next  # mips n64: the 2nd and 3rd relocation of a composite
    k = ++nrel[cur]; roff[cur, k] = strtonum_hex(off); rtyp[cur, k] = typ; rsym[cur, k] = sym
    # The instruction holding this relocation refers to the symbol.
    j = ni; while (j > 1 && io[j] > strtonum_hex(off)) j--
    if (sym == "cjAe_" cur && j >= 1) ir[j] = 1
    next
}
# An instruction line: "  OFF:<tab>BYTES<tab>MNEMONIC OPERANDS" (a line with bytes only continues the previous one).
/^[ \t]*[0-9a-f]+:\t/ {
    split($0, f, "\t"); if (f[3] == "") next
    off = f[1]; gsub(/[ :]/, "", off)
    txt = $0; sub(/^[^\t]*\t[^\t]*\t/, "", txt)  # mnemonic and operands (riscv puts a tab between them)
    ni++; io[ni] = strtonum_hex(off); it[ni] = txt; ir[ni] = 0
    # Resolved in the object (same section): a branch target printed as <cjA_op+0xSIZE>, the op end.
    if (match(txt, /<cjA_[A-Za-z0-9_]+\+0x[0-9a-f]+>/)) {
        t = substr(txt, RSTART + 1, RLENGTH - 2); split(t, tp, "+")
        if (tp[1] == "cjA_" cur && strtonum_hex(tp[2]) == size[cur]) ir[ni] = 1
    }
    if (index(txt, "<cjAe_" cur ">")) ir[ni] = 1
    next
}
function mnem(t) { sub(/^[ \t]+/, "", t); sub(/[ \t].*$/, "", t); return t }
function is_call(t, next_t,    m) {
    m = mnem(t)
    # jl is the ARC jump-and-link; on x86 and s390x it is a conditional jump (jump if less, on low).
    if (m ~ /^(jl|jl_s)$/) return triple ~ /^arc/
    if (m !~ /^(call[lq]?|bl|blx|bl\.d|bl_s|jal|jalr|bal|jsr|bsr|bsrf|brasl|bras|jbsr|jsr\.l|bsr\.l|bsrl|jbsr)$/) return 0
    # sparc: GCC s sibcalls "mov %o7,%g1; call next; mov %g1,%o7" (leaf) and
    # "call next; restore" (register window) are jumps: the delay slot puts
    # the caller s return address back.
    if (m == "call" && (next_t ~ /mov[ \t]+%g1, *%o7/ || mnem(next_t) == "restore")) return 0
    return 1
}
function is_delay(t,    m) { m = mnem(t); return m ~ /^(nop|nop_s|nopr|nop\.n)$/ }
function is_pair_jump(t,    m) { m = mnem(t); return m ~ /^(jr|jalr)$/ }  # riscv auipc + jr
function pcrel(typ,    k) {
    k = typ; sub(/^R_[A-Za-z0-9]+_/, "", k)  # the kind, without R_<ARCH>_ (R_PPC_ADDR32 is no "PC")
    if (k ~ /GOT|TLS|TPOFF|DTP|PG_|PAGE|ABS|GPREL|GPDISP|SEGREL|LITERAL|RELATIVE|TOC/) return 0
    return k ~ /PC|PLT|JUMP|CALL|BR|JAL|IND12W|REL[0-9]|WDISP|PREL|DBL/
}
END {
    flush()
    if (n == 0) { print "Bail out! no cjAs_ op sections in " obj; exit 2 }
    print "1.." n
    bad = 0
    for (i = 1; i <= n; i++) {
        op = name[i]; why = ""; note = ""
        for (k = 1; k <= nrel[op] && why == ""; k++) {
            sy = rsym[op, k]
            # A .L label missing from the symbol table (riscv: GAS keeps branch and
            # %pcrel_lo targets as relocations even within the section) is local.
            known = (sy in symsec)  # before symsec[sy], which would create it
            if (sy != "cjAe_" op && sy != "cjAd_" op && !(known && symsec[sy] == "cjAs_" op) && !(sy ~ /^\.L/ && !known))
                why = sprintf("relocation %s against %s at +0x%x: a reference out of the template", rtyp[op, k], sy, roff[op, k])
            else if (!pcrel(rtyp[op, k]))
                why = sprintf("relocation %s against %s at +0x%x is not PC-relative: position-dependent bytes", rtyp[op, k], sy, roff[op, k])
        }
        m = ninsn[op]; last = 0
        for (k = 1; k <= m; k++) if (iref[op, k]) {
            last = k
            if (why == "" && is_call(itxt[op, k], k < m ? itxt[op, k + 1] : ""))
                why = sprintf("+0x%x \"%s\" calls the next op instead of jumping to it (no tail call)", ioff[op, k], itxt[op, k])
        }
        if (why == "" && (size[op] < 1 || size[op] > 512)) why = sprintf("size %d bytes (1..512)", size[op])
        if (why == "") {
            if (last && (last == m || (last == m - 1 && (is_delay(itxt[op, m]) || is_pair_jump(itxt[op, m])))))
                note = ""
            else if (last)
                note = " # kept whole: the jump to the next op is not its last instruction"
            else if (op ~ /^(halt|trap|jmp|call|ret)$/ || op ~ /^(beq|bge|bgeu)_(a_a|x_x|y_y|o_o)$/)
                note = " # never falls through"
            else
                why = "no jump to the next op (cjAe_" op ")"
        }
        if (why == "") printf "ok %d - %s%s\n", i, op, note
        else { printf "not ok %d - %s: %s\n", i, op, why; bad++ }
    }
    if (bad) { printf "# %d of %d ops fail the static template check (%s)\n", bad, n, obj > "/dev/stderr"; exit 1 }
}' "$tmp.t" "$tmp.h" "$tmp.d"
