#!/usr/bin/env bash
# sdk.new-plugin.refusals: `kcube new-plugin` refuses a bad kind, a name that is not kebab-case,
# a DIR that is a file or a non-empty folder (touching nothing), and accepts an existing empty
# folder. Uses the build tree's CLI: nothing is built.
#   usage: bash new_plugin_refusals.sh SOURCE_DIR BUILD_DIR SCRATCH_DIR
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
sdk_init new-plugin-refusals "$@"
kcube=$BUILD/bin/kcube
[[ -x $kcube ]] || fail "no CLI at $kcube (build the tree first)"

step "--help"
run help "$kcube" new-plugin --help
expect_output help "kcube new-plugin --kind KIND NAME DIR"

step "bad kind, bad name, missing arguments: exit 2, nothing written"
expect_exit 2 bad-kind "$kcube" new-plugin --kind optimiser demo "$WORK/a"
expect_output bad-kind "did you mean 'optimizer'"
expect_exit 2 bad-name "$kcube" new-plugin --kind optimizer My_Rule "$WORK/a"
expect_output bad-name "kebab-case"
expect_output bad-name "'my-rule'"
expect_exit 2 no-kind "$kcube" new-plugin demo "$WORK/a"
expect_output no-kind "--kind"
expect_exit 2 no-dir "$kcube" new-plugin --kind scenario demo
[[ ! -e $WORK/a ]] || fail "a refused new-plugin created $WORK/a"

step "DIR not empty, DIR a file: exit 2, untouched"
mkdir "$WORK/full"
echo "keep me" >"$WORK/full/notes.txt"
expect_exit 2 not-empty "$kcube" new-plugin --kind optimizer demo "$WORK/full"
expect_output not-empty "not empty"
[[ $(ls -A "$WORK/full") == notes.txt && $(cat "$WORK/full/notes.txt") == "keep me" ]] ||
  fail "new-plugin changed the non-empty folder $WORK/full: $(ls -A "$WORK/full")"
echo "a file" >"$WORK/file"
expect_exit 2 is-file "$kcube" new-plugin --kind optimizer demo "$WORK/file"
[[ $(cat "$WORK/file") == "a file" ]] || fail "new-plugin changed the file $WORK/file"

step "an existing empty folder is fine"
mkdir "$WORK/empty"
run empty "$kcube" new-plugin --kind model-profile demo "$WORK/empty"
[[ -s $WORK/empty/demo.cpp && -s $WORK/empty/CMakeLists.txt ]] ||
  fail "new-plugin did not fill the empty folder $WORK/empty: $(ls -A "$WORK/empty")"
grep -q "class Demo final : public kcube::ModelProfile" "$WORK/empty/demo.cpp" ||
  fail "$WORK/empty/demo.cpp does not define class Demo"
