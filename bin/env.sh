# Sourced by the launchers and build scripts: pick JDK 25 or fail with a clear message.
if [ -z "${BANGER_JAVA_HOME:-}" ]; then
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64; do
    # The release file says the version without starting a JVM (that would cost every banger call ~50 ms).
    if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && grep -qs '^JAVA_VERSION="25' "$candidate/release"; then
      BANGER_JAVA_HOME=$candidate; break
    fi
  done
fi
if [ -z "${BANGER_JAVA_HOME:-}" ]; then
  echo "banger: JDK 25 not found (looked at \$JAVA_HOME and /usr/lib/jvm/temurin-25-jdk-amd64)" >&2
  exit 1
fi
export JAVA_HOME=$BANGER_JAVA_HOME
BANGER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Maven's own bundled Guava trips JDK 25's sun.misc.Unsafe warnings; they are not ours to fix.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
