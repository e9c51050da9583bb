#!/usr/bin/env bash
# Can an unprivileged guard learn from fanotify which process opened a file?
# (Issue 13: a non-trapping event source for the open log must keep every
# access attributable to a process.) Builds bench/tools/fanotify_pid.c and
# runs it as root, as an unprivileged user, and as that user inside its own
# user and mount namespaces, on the host filesystem and on the namespace's
# own tmpfs; writes bench/results/fanotify_pid.txt. Needs gcc, and root to drop to the unprivileged user
# (GUARD_BENCH_USER, default nobody).
set -euo pipefail
cd "$(dirname "$0")/.."
user=${GUARD_BENCH_USER:-nobody}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/fanotify_pid" bench/tools/fanotify_pid.c
mkdir "$work/dir"
touch "$work/dir/file"
chmod -R a+rwX "$work"
as_user() { setpriv --reuid="$(id -u "$user")" --regid="$(id -g "$user")" --clear-groups "$@"; }

{
    printf '%-40s %s\n' "root:" "$("$work/fanotify_pid" "$work/dir" "$work/dir/file")"
    printf '%-40s %s\n' "$user:" "$(as_user "$work/fanotify_pid" "$work/dir" "$work/dir/file")"
    printf '%-40s %s\n' "$user, own user and mount namespace:" \
        "$(as_user unshare -Urm "$work/fanotify_pid" "$work/dir" "$work/dir/file")"
    printf '%-40s %s\n' "$user, the namespace's own tmpfs:" \
        "$(as_user unshare -Urm sh -c "mount -t tmpfs none '$work/dir' && touch '$work/dir/file' && '$work/fanotify_pid' '$work/dir' '$work/dir/file'")"
} | tee bench/results/fanotify_pid.txt
