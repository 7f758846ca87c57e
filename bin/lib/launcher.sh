# Shared by the launchers in bin/: finds a JDK >= 22, builds the jars on first use,
# and runs a main class of the subhost SDK. Sourced, not run.

SUBHOST_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SUBHOST_LIB="$SUBHOST_HOME/subhost-examples/target/lib"
SUBHOST_MIN_JDK=22

# The major version of the JDK at $1, or nothing when it is no JDK.
subhost_jdk_major() {
  local home=$1 v=""
  [ -x "$home/bin/java" ] || return 0
  if [ -r "$home/release" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
  fi
  if [ -z "$v" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "$v"
}

# Sets SUBHOST_JAVA_HOME: JAVA_HOME when it is new enough, else the java on the PATH,
# else the newest JDK under /usr/lib/jvm. Exits with a message when there is none.
subhost_find_jdk() {
  local cand major best="" best_major=0
  for cand in "${JAVA_HOME:-}" \
      "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" \
      /usr/lib/jvm/*; do
    [ -n "$cand" ] || continue
    major=$(subhost_jdk_major "$cand")
    [ -n "$major" ] || continue
    if [ "$major" -ge "$SUBHOST_MIN_JDK" ]; then
      # JAVA_HOME and the PATH's java win when good enough; otherwise the newest.
      if [ "$cand" = "${JAVA_HOME:-}" ] || [ "$major" -gt "$best_major" ]; then
        best=$cand; best_major=$major
        [ "$cand" = "${JAVA_HOME:-}" ] && break
      fi
    fi
  done
  if [ -z "$best" ]; then
    echo "subhost: no JDK $SUBHOST_MIN_JDK or newer found (looked at JAVA_HOME, the java on the PATH and /usr/lib/jvm)." >&2
    echo "subhost: install one (for example Debian's openjdk-25-jdk or a Temurin JDK >= 22) or set JAVA_HOME to it." >&2
    exit 2
  fi
  SUBHOST_JAVA_HOME=$best
}

# Builds the jars when they are missing (the first use from a checkout).
subhost_ensure_built() {
  if ! ls "$SUBHOST_LIB"/subhost-examples-*.jar >/dev/null 2>&1 || [ -n "${SUBHOST_REBUILD:-}" ]; then
    echo "subhost: building the jars once (mvn package in $SUBHOST_HOME); this takes a minute" >&2
    if ! command -v mvn >/dev/null 2>&1; then
      echo "subhost: Maven (mvn) is needed to build from a checkout: apt-get install maven" >&2
      exit 2
    fi
    (cd "$SUBHOST_HOME" && JAVA_HOME="$SUBHOST_JAVA_HOME" mvn -q -B -DskipTests package >&2) || {
      echo "subhost: the build failed; run 'mvn -DskipTests package' in $SUBHOST_HOME to see why" >&2
      exit 2
    }
  fi
}

# Runs main class $1 of module $2 with the remaining arguments.
subhost_run() {
  local module=$1 main=$2; shift 2
  subhost_find_jdk
  subhost_ensure_built
  exec "$SUBHOST_JAVA_HOME/bin/java" \
    --enable-native-access=org.subhost.linux \
    -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -p "$SUBHOST_LIB" -m "$module/$main" "$@"
}
