#!/usr/bin/env bash
# Installs doppio for the GitHub Actions runner (or any Linux/macOS shell).
#
# Inputs (environment):
#   INPUT_VERSION            release version ("1.2.3", "v1.2.3", "latest") or a commit SHA
#                            (7-40 hex digits; built with `go install`). Default: latest.
#   INPUT_BUILD              "default" (or empty) or "full": the release archive with tfstate-lookup's
#                            GCS, Azure and Terraform Cloud backends (gs://, azurerm://, remote:// states).
#   INPUT_VERSION_FILE       file holding the version (wins over INPUT_VERSION when set);
#                            "1.2.3", "v1.2.3" or a .tool-versions line "doppio 1.2.3".
#   DOPPIO_DOWNLOAD_BASE_URL releases base URL (default https://github.com/doppio-ecs/doppio/releases);
#                            "latest" follows <base>/latest, downloads come from <base>/download/v<ver>/.
#   RUNNER_TOOL_CACHE        tool cache root (default ${TMPDIR:-/tmp}/doppio-tool-cache)
#   GITHUB_PATH, GITHUB_OUTPUT  runner file commands; skipped when unset.
#   DOPPIO_UNAME_S, DOPPIO_UNAME_M  stand-ins for `uname -s` / `uname -m` (tests, cross-installs).
set -euo pipefail

readonly MODULE="github.com/doppio-ecs/doppio"
base_url="${DOPPIO_DOWNLOAD_BASE_URL:-https://github.com/doppio-ecs/doppio/releases}"
base_url="${base_url%/}"

log() { printf 'doppio install: %s\n' "$*" >&2; }
die() {
	printf 'doppio install: error: %s\n' "$*" >&2
	# An annotation makes the reason visible on the run page, not only in the log.
	if [ "${GITHUB_ACTIONS:-}" = "true" ]; then
		local msg="${*//'%'/'%25'}"
		# stderr: die often runs inside $(...), whose stdout is captured.
		printf '::error title=doppio install::%s\n' "$msg" >&2
	fi
	exit 1
}

detect_os() {
	local s="${DOPPIO_UNAME_S:-$(uname -s)}"
	case "$s" in
	Linux | linux) echo linux ;;
	Darwin | darwin) echo darwin ;;
	*) die "unsupported operating system \"$s\": release binaries for the action exist for Linux and macOS (use a Linux or macOS runner, or download the Windows zip by hand)" ;;
	esac
}

detect_arch() {
	local m="${DOPPIO_UNAME_M:-$(uname -m)}"
	case "$m" in
	x86_64 | amd64 | X64) echo amd64 ;;
	aarch64 | arm64 | ARM64) echo arm64 ;;
	*) die "unsupported architecture \"$m\": release binaries exist for amd64 (x86_64) and arm64 (aarch64)" ;;
	esac
}

# read_version_file prints the version a file asks for: the first non-comment
# line, or the "doppio" entry of an asdf/mise .tool-versions file.
read_version_file() {
	local file="$1" line name value
	[ -f "$file" ] || die "version-file \"$file\" not found (it is read relative to $(pwd))"
	while IFS= read -r line || [ -n "$line" ]; do
		line="${line%%#*}"
		read -r name value _ <<<"$line" || true
		[ -n "${name:-}" ] || continue
		if [ -n "${value:-}" ]; then
			[ "$name" = "doppio" ] && { echo "$value"; return; }
			continue
		fi
		echo "$name"
		return
	done <"$file"
	die "version-file \"$file\" holds no version (expected e.g. \"1.2.3\" or a line \"doppio 1.2.3\")"
}

# resolve_latest follows <base>/latest, which GitHub redirects to
# <base>/tag/vX.Y.Z; no API call, so no token and no API rate limit.
resolve_latest() {
	local url
	url="$(curl -fsSL --retry 3 -o /dev/null -w '%{url_effective}' "$base_url/latest")" ||
		die "cannot resolve the latest release from $base_url/latest (set the version input to pin one)"
	case "$url" in
	*/tag/*) echo "${url##*/tag/}" ;;
	*) die "resolving the latest release: $base_url/latest led to $url, not to a .../tag/<version> page" ;;
	esac
}

sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		sha256sum "$1" | cut -d' ' -f1
	elif command -v shasum >/dev/null 2>&1; then
		shasum -a 256 "$1" | cut -d' ' -f1
	else
		die "neither sha256sum nor shasum is installed: cannot verify the download"
	fi
}

add_to_path() {
	local dir="$1" version="$2"
	if [ -n "${GITHUB_PATH:-}" ]; then
		echo "$dir" >>"$GITHUB_PATH"
	else
		log "add $dir to PATH to use doppio"
	fi
	if [ -n "${GITHUB_OUTPUT:-}" ]; then
		{
			echo "version=$version"
			echo "path=$dir/doppio"
		} >>"$GITHUB_OUTPUT"
	fi
	"$dir/doppio" version || die "the installed $dir/doppio does not run on this machine"
}

install_commit() {
	local sha="$1" dir="$2"
	command -v go >/dev/null 2>&1 ||
		die "version \"$sha\" is a commit, which is built with go install, but go is not installed (add actions/setup-go before this step)"
	log "building $MODULE/cmd/doppio@$sha with go install"
	local gobin="$work_dir/gobin"
	mkdir -p "$gobin"
	GOBIN="$gobin" CGO_ENABLED=0 go install -ldflags "-X main.version=$sha" "$MODULE/cmd/doppio@$sha" ||
		die "go install $MODULE/cmd/doppio@$sha failed (is it a commit of $MODULE?)"
	mkdir -p "$dir"
	mv "$gobin/doppio" "$dir/doppio"
}

install_release() {
	local version="$1" os="$2" arch="$3" dir="$4"
	local archive="${project}_${version}_${os}_${arch}.tar.gz"
	local url="$base_url/download/v$version"
	local tmp="$work_dir"

	log "downloading $url/$archive"
	curl -fsSL --retry 3 -o "$tmp/$archive" "$url/$archive" ||
		die "download of $url/$archive failed: is v$version a doppio release with a $os/$arch build?"
	curl -fsSL --retry 3 -o "$tmp/checksums.txt" "$url/checksums.txt" ||
		die "download of $url/checksums.txt failed: cannot verify $archive, refusing to install"

	local want got
	want="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/checksums.txt")"
	[ -n "$want" ] || die "$url/checksums.txt has no entry for $archive: refusing to install an unverified binary"
	got="$(sha256_of "$tmp/$archive")"
	[ "$want" = "$got" ] ||
		die "checksum mismatch for $archive: checksums.txt says sha256 $want, the download has $got. Refusing to install; the release or the download is corrupt or was tampered with."

	mkdir -p "$tmp/x"
	tar -xzf "$tmp/$archive" -C "$tmp/x" || die "cannot extract $archive"
	[ -f "$tmp/x/doppio" ] || die "$archive has no doppio binary at its top level"
	mkdir -p "$dir"
	mv "$tmp/x/doppio" "$dir/doppio"
	chmod 0755 "$dir/doppio"
}

work_dir=""
cleanup() { [ -z "$work_dir" ] || rm -rf "$work_dir"; }
trap cleanup EXIT

main() {
	work_dir="$(mktemp -d)"
	local requested="${INPUT_VERSION:-}"
	if [ -n "${INPUT_VERSION_FILE:-}" ]; then
		requested="$(read_version_file "$INPUT_VERSION_FILE")"
		log "version-file $INPUT_VERSION_FILE asks for $requested"
	fi
	[ -n "$requested" ] || requested=latest

	local os arch
	os="$(detect_os)"
	arch="$(detect_arch)"
	# The release's default archive leaves the GCS, Azure and Terraform Cloud
	# state backends out (a smaller, faster-starting binary); "full" has them.
	# A commit is built with go install, which has every backend.
	local project
	case "${INPUT_BUILD:-default}" in
	default | "") project=doppio ;;
	full) project=doppio-full ;;
	*) die "build \"$INPUT_BUILD\" is neither default nor full" ;;
	esac

	local kind=release version
	if [[ "$requested" =~ ^[0-9a-f]{7,40}$ ]]; then
		kind=commit
		version="$requested"
	else
		if [ "$requested" = latest ]; then
			requested="$(resolve_latest)"
			log "latest release is $requested"
		fi
		version="${requested#v}"
		[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] ||
			die "version \"$requested\" is neither a release (1.2.3, v1.2.3, latest) nor a commit SHA (7-40 lowercase hex digits)"
	fi

	local cache_root="${RUNNER_TOOL_CACHE:-${TMPDIR:-/tmp}/doppio-tool-cache}"
	local dir="$cache_root/$project/$version/$arch"
	local marker="$dir.complete"
	if [ -f "$marker" ] && [ -x "$dir/doppio" ]; then
		log "doppio $version ($os/$arch) found in the tool cache at $dir"
	else
		rm -rf "$dir" "$marker"
		if [ "$kind" = commit ]; then
			install_commit "$version" "$dir"
		else
			install_release "$version" "$os" "$arch" "$dir"
		fi
		# The marker is written last so an interrupted install is never reused.
		touch "$marker"
		log "installed doppio $version ($os/$arch) into $dir"
	fi
	add_to_path "$dir" "$version"
}

main "$@"
