#!/bin/sh
# check_encoders.sh ARCH: compares the bytes of the core's encoders in
# native/core/arch/ARCH/arch_core.h (compiled for the build host by
# encoders_host.c: the host and ARCH must both be little-endian) with what
# the cross assembler ARCH's triple-as makes of the same instructions, placed
# at the same address mod 4, linked with triple-ld. Out-of-range branches
# must be refused by both. Prints TAP. ARCH: arc or sh4 (the ports whose
# code cannot run here).
set -u
arch=${1:?usage: check_encoders.sh arc|sh4}
here=$(cd "$(dirname "$0")" && pwd)
core=$(dirname "$here")
case $arch in
arc) triple=arc-linux-gnu ;;
sh4) triple=sh4-linux-gnu ;;
*) echo "Bail out! no assembler templates for $arch"; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}
hostdir=$(printf '#include "jit/config_cpu.h"\nJIT_ARCH_DIR\n' | $cc -E -P -I"$core/include" - | tail -1 | tr -d '"')
$cc -std=gnu11 -O1 -I"$core/include" -I"$core/arch/$hostdir" "-DARCH_CORE_FILE=\"$core/arch/$arch/arch_core.h\"" \
    "$here/encoders_host.c" -o "$tmp/enc" || { echo "Bail out! encoders_host.c does not build"; exit 2; }
"$tmp/enc" >"$tmp/cases" || { echo "Bail out! encoders_host failed"; exit 2; }
# asm NAME AT ARG: the assembly of one case, placed at AT mod 4 after "start:".
asm() {
    case $arch:$1 in
    arc:ret_const) printf '\tmov r0, @K\n\tj_s [blink]\n' ;;  # K from the link: forces the limm form
    arc:ret_arg) printf '\tj_s [blink]\n' ;;
    arc:branch) printf '\tb start+(%d)\n' $(($3 - $2)) ;;
    arc:long_jump) printf '\tj @K\n' ;;
    arc:trap_word) printf '\ttrap_s 1\n\ttrap_s 1\n' ;;
    sh4:ret_const)
        k=$(( $3 >= 2147483648 ? $3 - 4294967296 : $3 ))
        if [ "$k" -ge -128 ] && [ "$k" -le 127 ]; then printf '\trts\n\tmov #%d, r0\n' "$k"
        else
            u=$3
            printf '\tmov #%d, r0\n\tshll8 r0\n\tor #%d, r0\n\tshll8 r0\n\tor #%d, r0\n\tshll8 r0\n\trts\n\tor #%d, r0\n' \
                $(( (u >> 24) >= 128 ? (u >> 24) - 256 : (u >> 24) )) $(( (u >> 16) & 255 )) $(( (u >> 8) & 255 )) $(( u & 255 ))
        fi ;;
    sh4:ret_arg) printf '\trts\n\tmov r4, r0\n' ;;
    sh4:branch) printf '\tbra start+(%d)\n\tnop\n' $(($3 - $2)) ;;
    sh4:long_jump)
        if [ $(($2 & 2)) -eq 0 ]; then printf '\tmov.l 1f, r1\n\tjmp @r1\n\tnop\n\tnop\n1:\t.long %s\n' "$3"
        else printf '\tmov.l 1f, r1\n\tjmp @r1\n\tnop\n1:\t.long %s\n\tnop\n' "$3"; fi ;;
    sh4:trap_word) printf '\ttrapa #0x3b\n\ttrapa #0x3b\n' ;;
    esac
}
total=$(wc -l <"$tmp/cases")
echo "1..$total"
i=0; bad=0
while read -r name at arg hex rest; do
    i=$((i + 1))
    skip=$(( at & 3 ))
    { printf '\t.text\n\t.balign 4\n'; [ $skip -ne 0 ] && printf '\t.skip %d\n' $skip; printf 'start:\n'; asm "$name" "$at" "$arg"; } >"$tmp/c.s"
    if "$triple-as" "$tmp/c.s" -o "$tmp/c.o" 2>"$tmp/as.err" &&
        "$triple-ld" -Ttext=0 -e 0 --defsym K="$arg" "$tmp/c.o" -o "$tmp/c.elf" 2>>"$tmp/as.err" &&
        "$triple-objcopy" -O binary -j .text "$tmp/c.elf" "$tmp/c.bin"; then
        want=$(od -An -v -tx1 "$tmp/c.bin" | tr -d ' \n' | cut -c$((skip * 2 + 1))-)
    else
        want="error"
    fi
    got=$hex; [ "$hex" = error ] && got=error
    # The assembler pads the section (nop_s, nop): compare the encoder's length.
    [ "$want" != error ] && [ "$got" != error ] && want=$(printf '%s' "$want" | cut -c1-${#got})
    if [ "$got" = "$want" ]; then echo "ok $i - $name at=$at arg=$arg: $got"
    else echo "not ok $i - $name at=$at arg=$arg: encoder $got, $triple-as $want ($(head -c 200 "$tmp/as.err" | tr '\n' ' '))"; bad=$((bad + 1)); fi
done <"$tmp/cases"
[ $bad -eq 0 ]
