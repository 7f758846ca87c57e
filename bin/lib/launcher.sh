# Shared by the launchers in bin/: finds a JDK >= 22, builds the jars on first use,
# and runs a main class of the subhost SDK. Sourced, not run, with its own path in
# subhost_launcher: a launcher does
#   subhost_launcher=${subhost_self%/*}/lib/launcher.sh; . "$subhost_launcher"
#
# Two places it runs from: bin/lib/ of a checkout, where each program's module has its jars
# built into its own target/lib (subhost-cli for the commands, subhost-tools for the bench
# and the soak, subhost-examples for the embedding example); and PREFIX/lib/subhost/ after
# bin/install, where the commands' jars lie beside it and there is nothing to build
# (SUBHOST_HOME is then empty).
#
# POSIX sh: the commands' launchers run under #!/bin/sh (dash on Debian), which starts in
# about 4 ms here against bash's 7, and reads this file faster; bash runs it as well
# (bin/install sources it). Not #!/usr/bin/env: env is one more program to start and to
# search the PATH (2-3 ms here).
#
# CHECKOUT/bin/lib/launcher.sh -> CHECKOUT, by the shell alone: every program started here
# costs milliseconds (resolving the launcher's path with readlink and dirname cost 17 ms).
# The launchers source this file by an absolute path, resolved only when they are
# symlinks; the JVM takes the start-up cache for any spelling of the same module path.
: "${subhost_launcher:?set subhost_launcher to the path of launcher.sh before sourcing it}"
case $subhost_launcher in
  */lib/subhost/launcher.sh)
    # Installed: no checkout; bin/install made a start-up cache beside the jars.
    SUBHOST_HOME=""
    SUBHOST_LIB=${subhost_launcher%/launcher.sh}
    ;;
  *)
    SUBHOST_HOME=${subhost_launcher%/bin/lib/launcher.sh}
    # A relative path, or one that does not end so (bin/./lib/launcher.sh): by cd instead.
    case $SUBHOST_HOME in
      "$subhost_launcher"|[!/]*) SUBHOST_HOME=$(cd "${subhost_launcher%/*}/../.." && pwd) ;;
    esac
    # The commands' jars; subhost_run takes those of the module it runs.
    SUBHOST_LIB="$SUBHOST_HOME/subhost-cli/target/lib"
    ;;
esac
SUBHOST_MIN_JDK=22
# The artifact whose jar says that SUBHOST_LIB is built (subhost_run sets it for its module).
SUBHOST_ARTIFACT=subhost-cli
# JVM options of the kind of program run (subhost_run_short), split at spaces; none by default.
SUBHOST_MODE_OPTS=""

# The major version of the JDK at $1, or nothing when it is no JDK. Reads its release
# file with the shell alone: every program started here costs a few milliseconds.
subhost_jdk_major() {
  local home=$1 line v=""
  [ -x "$home/bin/java" ] || return 0
  if [ -r "$home/release" ]; then
    while IFS= read -r line; do
      case $line in
        JAVA_VERSION=*) v=${line#JAVA_VERSION=\"}; v=${v%%[!0-9]*}; break ;;
      esac
    done < "$home/release"
  fi
  if [ -z "$v" ]; then
    v=$("$home/bin/java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "$v"
}

# Sets SUBHOST_JAVA_HOME: the runtime of an installed package (SUBHOST_LIB/runtime) when
# there is one, else JAVA_HOME when it is new enough, else the JDK found last time
# (remembered in $SUBHOST_LIB/java-home), else the java on the PATH, else the newest JDK
# under /usr/lib/jvm. Exits with a message when there is none.
subhost_find_jdk() {
  local cand major best="" best_major=0 remembered="$SUBHOST_LIB/java-home"
  # The Debian package (bin/package-deb) brings its own runtime, made with jlink, for
  # which its start-up caches were trained: that one, whatever JAVA_HOME says.
  if [ -z "$SUBHOST_HOME" ] && [ -x "$SUBHOST_LIB/runtime/bin/java" ]; then
    SUBHOST_JAVA_HOME=$SUBHOST_LIB/runtime; return 0
  fi
  # The fast path, without a subshell: JAVA_HOME, or the JDK remembered from the last search.
  if [ -n "${JAVA_HOME:-}" ]; then
    subhost_release_major "$JAVA_HOME"
    major=$SUBHOST_RELEASE_MAJOR
    if [ -n "$major" ] && [ "$major" -ge "$SUBHOST_MIN_JDK" ]; then
      SUBHOST_JAVA_HOME=$JAVA_HOME; return 0
    fi
  elif [ -r "$remembered" ] && IFS= read -r cand < "$remembered" && [ -x "$cand/bin/java" ]; then
    SUBHOST_JAVA_HOME=$cand; return 0
  fi
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
  # Remembered for the next run when the jars are there (a failed write changes nothing);
  # not in an installed copy, whose files are only those that install lists.
  if [ -z "${JAVA_HOME:-}" ] && [ -n "$SUBHOST_HOME" ] && [ -d "$SUBHOST_LIB" ]; then
    { echo "$best" > "$remembered"; } 2>/dev/null || true
  fi
}

# Like subhost_jdk_major from the release file alone, without a subshell: sets
# SUBHOST_RELEASE_MAJOR.
subhost_release_major() {
  local home=$1 line
  SUBHOST_RELEASE_MAJOR=""
  [ -x "$home/bin/java" ] && [ -r "$home/release" ] || return 0
  while IFS= read -r line; do
    case $line in
      JAVA_VERSION=*)
        line=${line#JAVA_VERSION=\"}; SUBHOST_RELEASE_MAJOR=${line%%[!0-9]*}; return 0 ;;
    esac
  done < "$home/release"
}

# Builds the jars when they are missing (the first use from a checkout); an installed copy
# has its jars already.
subhost_ensure_built() {
  [ -n "$SUBHOST_HOME" ] || return 0
  local jar built=""
  for jar in "$SUBHOST_LIB/$SUBHOST_ARTIFACT"-*.jar; do
    [ -e "$jar" ] && built=yes
  done
  if [ -z "$built" ] || [ -n "${SUBHOST_REBUILD:-}" ]; then
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

# The start-up cache that the build made (subhost-cli/pom.xml), into SUBHOST_AOT:
# the cache of command $1 (COMMAND.aot, trained on that command alone) when there is one,
# else the general subhost.aot; empty when neither is there or a jar is newer (a cache
# that does not match its jars is refused by the JVM anyway).
subhost_aot_cache() {
  local command=${1:-}
  SUBHOST_AOT=""
  [ -z "${SUBHOST_NO_AOT:-}" ] || return 0
  if [ -n "$command" ] && subhost_fresh_cache "$SUBHOST_LIB/$command.aot"; then
    SUBHOST_AOT=$SUBHOST_LIB/$command.aot
  elif subhost_fresh_cache "$SUBHOST_LIB/subhost.aot"; then
    SUBHOST_AOT=$SUBHOST_LIB/subhost.aot
  fi
}

# Whether the cache $1 is there and newer than every jar.
subhost_fresh_cache() {
  local aot=$1 jar
  [ -r "$aot" ] || return 1
  for jar in "$SUBHOST_LIB"/*.jar; do
    [ "$aot" -nt "$jar" ] || return 1
  done
}

# Runs main class $2 of module $1 like subhost_run, for a command that does one short job
# and exits (overlay-boot, -stop, -go, -share, -list, -diskfile): with the interpreter
# only (-Xint). The JIT's compiler thread took the second core from the command's own two
# threads and compiled code that ran once or twice: a cold overlay-boot took 267 ms with
# -Xint against 290 ms without, overlay-stop 259 against 272 (medians of 11 alternating
# runs on the 2-core development VM). Not for subhosts, bench or soak, which do much
# more in one JVM.
# -XX:-AOTReplayTraining: the cache's method profiles are for the JIT, which -Xint leaves
# out; replaying them costs a thread of its own, woken at every class the command
# initialises (hundreds of wake-ups, each a context switch on the other core).
# -Xms16m: a boot allocates about 2.5 MB; the default initial heap (1/64 of the memory,
# 378 MB here) made the JVM commit and clear structures for all of it as it starts, some
# 180 page faults more (a fault costs about 16 us in this VM): boot and stop 4-5 ms
# faster (medians of 21 alternating runs). The heap still grows as a command needs.
# -XX:-UsePerfData: no /tmp/hsperfdata_root/PID, the shared-memory file of counters that
# jps and jstat read, made, mapped and deleted by every JVM; no one attaches to a command
# that lives a tenth of a second. 0-4 ms of CPU less for boot and stop (medians of 15-21
# alternating runs, four times: at the noise level of the 2-core development VM).
subhost_run_short() {
  SUBHOST_MODE_OPTS="-Xint -Xms16m -XX:-UsePerfData -XX:+UnlockDiagnosticVMOptions -XX:-AOTReplayTraining"
  subhost_run "$@"
}

# A UTF-8 view of file names for the JVM, whatever the caller's locale. The JVM takes its
# file name encoding (sun.jnu.encoding) from the locale of LC_CTYPE at start and from
# nothing else (-Dsun.jnu.encoding is ignored): with no LANG (cron, init systems, env -i),
# LANG=C or a Latin-1 locale, a path such as /srv/größe cannot even be made a Path. So
# when the effective LC_CTYPE (LC_ALL, else LC_CTYPE, else LANG) names no UTF-8 codeset,
# LC_CTYPE becomes C.UTF-8 (built into glibc), or LC_ALL when the caller set LC_ALL,
# which would override it; the other categories (messages, numbers) stay as they were.
# By the shell alone: no program is started for it.
subhost_utf8_locale() {
  case ${LC_ALL:-${LC_CTYPE:-${LANG:-}}} in
    *[Uu][Tt][Ff]-8*|*[Uu][Tt][Ff]8*) ;;
    *)
      if [ -n "${LC_ALL:-}" ]; then LC_ALL=C.UTF-8; export LC_ALL
      else LC_CTYPE=C.UTF-8; export LC_CTYPE
      fi
      ;;
  esac
}

# Runs main class $2 of module $1 (org.subhost.cli, org.subhost.tools, ...) with the
# remaining arguments. In a checkout, module org.subhost.X runs from subhost-X/target/lib.
subhost_run() {
  local module=$1 main=$2; shift 2
  if [ -n "$SUBHOST_HOME" ]; then
    SUBHOST_ARTIFACT=subhost-${module#org.subhost.}
    SUBHOST_LIB=$SUBHOST_HOME/$SUBHOST_ARTIFACT/target/lib
  fi
  subhost_utf8_locale
  subhost_find_jdk
  subhost_ensure_built
  # The CLI's first argument is the command's name, which may have a cache of its own.
  if [ "$main" = org.subhost.cli.Cli ]; then subhost_aot_cache "${1:-}"; else subhost_aot_cache; fi
  # The options must be those of the training run in subhost-cli/pom.xml, or the JVM
  # does not use the cache. CUSTOMIZE_THRESHOLD=-1: a method handle called more than 127
  # times is otherwise specialised with classes generated at run time, which a short
  # command pays for in the middle of its work (the shared downcall handle, in every boot).
  set -- --enable-native-access=org.subhost.linux \
    -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.lang.invoke.MethodHandle.CUSTOMIZE_THRESHOLD=-1 \
    -p "$SUBHOST_LIB" -m "$module/$main" "$@"
  # The JVM's own messages about the cache are turned off, and its other warnings go to
  # stderr: stdout is the command's. SUBHOST_MODE_OPTS and SUBHOST_JAVA_OPTS (more JVM
  # options, such as -XX:StartFlightRecording=... to profile) are split at spaces on
  # purpose, and come after the cache's option so that the caller's win.
  # shellcheck disable=SC2086
  if [ -n "$SUBHOST_AOT" ]; then
    exec "$SUBHOST_JAVA_HOME/bin/java" -Xlog:disable "-Xlog:all=warning,aot*=off,cds*=off:stderr" \
      "-XX:AOTCache=$SUBHOST_AOT" $SUBHOST_MODE_OPTS ${SUBHOST_JAVA_OPTS:-} "$@"
  fi
  # shellcheck disable=SC2086
  exec "$SUBHOST_JAVA_HOME/bin/java" -Xlog:disable "-Xlog:all=warning,aot*=off,cds*=off:stderr" \
    $SUBHOST_MODE_OPTS ${SUBHOST_JAVA_OPTS:-} "$@"
}
