#!/usr/bin/env bash
# Run tokenleader 1.8's own `adminops` commands to build a real tokenleader database, without
# touching the real /etc: tokenleader reads /etc/tokenleader/{tokenleader_settings.ini,
# client_configs.yml} at import time, so the commands run in a private mount namespace
# (`unshare -m`) where /etc is an overlay (the lower layer, the real /etc, is never written) and
# /etc/tokenleader is a bind mount of DIR/etc-tokenleader. Needs root (as CI runs) and overlayfs.
#
#   tests/tokenleader/tl_adminops.sh DIR SCRIPT
#
# DIR (created if missing) gets the settings, an RSA key pair, and the database DIR/auth.db.
# SCRIPT is a bash file of `adminops ...` lines, sourced inside the namespace with the venv of
# setup_server.sh first on PATH. adminops prints its errors and exits 0 regardless: check the
# database afterwards.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(mkdir -p "$1" && cd "$1" && pwd)"
script="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
python="$("$here/setup_server.sh" | tail -n 1)"
venv="$(dirname "$(dirname "$python")")"

etc="$dir/etc-tokenleader"
mkdir -p "$etc" "$dir/ns/upper" "$dir/ns/work" "$dir/client"
if [[ ! -f "$dir/id_rsa" ]]; then
    "$python" - "$dir" <<'PY'
import os, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
d = sys.argv[1]
with open(os.path.join(d, "id_rsa"), "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption()))
with open(os.path.join(d, "id_rsa.pub"), "wb") as f:
    f.write(key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                          serialization.PublicFormat.OpenSSH) + b" tokenleader\n")
PY
fi
cat >"$etc/tokenleader_settings.ini" <<INI
[flask_default]
host_name = 127.0.0.1
host_port = 5001
ssl = disabled
ssl_settings = adhoc

[token]
private_key_file_location = $dir/id_rsa
public_key_file_location = $dir/id_rsa.pub

[db]
SQLALCHEMY_DATABASE_URI = sqlite:///$dir/auth.db
SQLALCHEMY_TRACK_MODIFICATIONS = False
INI
# adminops imports tokenleaderclient's Enforcer, which exits at import without this file.
cat >"$etc/client_configs.yml" <<YML
user_auth_info_from: file
user_auth_info_file_location: $dir/client/user_settings.ini
fernet_key_file: $dir/client/fernet_key
tl_public_key: $(cat "$dir/id_rsa.pub")
ssl_verify: False
tl_user: user1
tl_url: http://127.0.0.1:5001
YML
printf -- '- name: role1\n  allow:\n  - tokenleader.adminops.adminops_restapi.list_users\n' \
    >"$etc/role_to_acl_map.yml"

had_etc_tokenleader=no
[[ -e /etc/tokenleader ]] && had_etc_tokenleader=yes
DIR="$dir" VENV="$venv" SCRIPT="$script" unshare -m bash -c '
    set -euo pipefail
    mount --make-rprivate /
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$DIR/ns/upper,workdir=$DIR/ns/work" /etc
    mkdir -p /etc/tokenleader
    mount --bind "$DIR/etc-tokenleader" /etc/tokenleader
    cd "$DIR"
    export PATH="$VENV/bin:$PATH" HOME="$DIR"
    source "$SCRIPT"
'
if [[ $had_etc_tokenleader == no && -e /etc/tokenleader ]]; then
    echo "error: /etc/tokenleader appeared outside the namespace" >&2
    exit 1
fi
[[ -f "$dir/auth.db" ]] || { echo "error: adminops made no database at $dir/auth.db" >&2; exit 1; }
