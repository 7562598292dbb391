# Sourced by the scripts in bin/ and .ci/: finds a JDK 25 or newer and exports JAVA_HOME.
# The default `java` on our machines is 17, so nothing here trusts PATH blindly.
vmtree_java_major() { # prints the feature version of the java binary in $1, or nothing
  # A JDK's release file says it without starting a JVM (which would cost every command ~0.2 s).
  # (shell built-ins only: every short vmtree command runs this, and each extra process costs ~2 ms)
  local release line
  release="${1%/*}"
  release="${release%/*}/release"
  if [ -f "$release" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in
        JAVA_VERSION=\"[0-9]*) line=${line#JAVA_VERSION=\"}; printf '%s\n' "${line%%[!0-9]*}"; return ;;
      esac
    done < "$release"
    return
  fi
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}
vmtree_find_jdk25() {
  local candidate major
  for candidate in "${VMTREE_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(vmtree_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(vmtree_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then export JAVA_HOME="$candidate"; return 0; fi
  fi
  echo "vmtree: JDK 25 or newer is required but none was found (set JAVA_HOME to a JDK 25+)" >&2
  return 1
}
