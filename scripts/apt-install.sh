# Sourced by the scripts that install what the project needs from the OS packages (Debian/Ubuntu):
# `apt_install PACKAGE…` runs apt-get as root (directly, or through sudo), `apt-get update` once.
# Not a command of its own.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else echo "Need root (or sudo) for: $*" >&2; exit 1
  fi
}

apt_install() {
  command -v apt-get >/dev/null || { echo "Cannot install $*: no apt-get here; install it yourself" >&2; exit 1; }
  echo "Installing $* from the OS packages" >&2
  [ -n "${APT_UPDATED:-}" ] || { as_root apt-get update -qq; APT_UPDATED=1; }
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
