# Sourced by the bundles' native/build.sh scripts:
#   jni_compile LIB SOURCE [more cc arguments: -I directories, libraries...]
# compiles one C file into a JNI library against the JDK's jni.h (JAVA_HOME, else the javac on the PATH), with
# warnings as errors, hidden symbols and no undefined ones, and replaces LIB only once the compile succeeded.
jni_compile() {
  local lib="$1" src="$2"
  shift 2
  local java_home="${JAVA_HOME:-}"
  if [[ -z "$java_home" || ! -f "$java_home/include/jni.h" ]]; then
    java_home="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
  fi
  [[ -f "$java_home/include/jni.h" ]] || { echo "build.sh: jni.h not found under JAVA_HOME=$java_home" >&2; return 1; }
  mkdir -p "$(dirname "$lib")"
  ${CC:-gcc} -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wno-unused-parameter -Werror -shared -fPIC \
    -fvisibility=hidden -Wl,-z,defs -Wl,--no-undefined \
    -I"$java_home/include" -I"$java_home/include/linux" -o "$lib.tmp" "$src" "$@"
  mv -f "$lib.tmp" "$lib"
  echo "build.sh: built $lib"
}
