#!/bin/sh
# The image's entrypoint: runs its arguments (node bin/elt.js ...) as the owner of
# the output folder ELT_OUTPUT_DIR, so that the summary lands in a bind-mounted
# ./out whatever the host user's uid (root, 1000, 1001, ...).
#  - started as root (docker-compose's etl service): takes the uid and gid of the
#    folder's owner, with no supplementary groups, no capabilities and no way back
#    (if the owner is root, a root without capabilities); no output folder: the
#    image's "node" user;
#  - started as anyone else: stays that user.
# A folder that user cannot write is refused before anything runs: one line on
# stderr, exit 2 (usage), never a run that ends 0 with nothing written.
set -eu

dir="${ELT_OUTPUT_DIR:-}"
drop=""
if [ "$(id -u)" = 0 ]; then
  if [ -n "$dir" ] && [ -e "$dir" ]; then
    owner="$(stat -L -c %u -- "$dir")"
    group="$(stat -L -c %g -- "$dir")"
  else
    owner="$(id -u node)"
    group="$(id -g node)"
  fi
  drop="setpriv --reuid=$owner --regid=$group --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs --"
  home="$(getent passwd "$owner" | cut -d: -f6)"
  export HOME="${home:-/tmp}"
fi

if [ -n "$dir" ] && [ -e "$dir" ] && ! { [ -d "$dir" ] && $drop test -w "$dir" && $drop test -x "$dir"; }; then
  echo "elt: error: cannot write the output folder $dir as uid $($drop id -u) ($(stat -L -c '%F owned by uid %u, mode %a' -- "$dir")): make it a folder that user may write (chown it, chmod u+w it, or mount it read-write)" >&2
  exit 2
fi

exec $drop "$@"
