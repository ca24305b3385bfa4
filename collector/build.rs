//! Embeds the analyst map (`collector/web`) in the collector binary.
//!
//! Our own page lives in `web/src` (hand-written HTML, CSS and one ES
//! module). Leaflet comes from the npm registry, pinned by
//! `web/package-lock.json`: when `web/node_modules` is missing or older than
//! the lockfile, this script runs `npm ci` there. It then writes
//! `$OUT_DIR/web_assets.rs`, a table of (URL path, content type, ETag, bytes)
//! whose bytes are `include_bytes!` of the files, so nothing is fetched at run
//! time.
//!
//! Without npm: set `TOWERWATCH_WEB_DIST` to a folder made by `npm run dist`
//! in `collector/web` on a machine that has it (same files, same layout).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const NPM_HELP: &str = "\
The collector embeds its analyst map, whose map library (Leaflet) comes from
the npm registry, so building towerwatch-collector needs Node.js and npm.
Install them, then build again:
    Debian/Ubuntu:  sudo apt-get install -y nodejs npm
    other systems:  https://nodejs.org/en/download (any Node.js >= 18 with npm)
Or build the assets on a machine with npm (`cd collector/web && npm ci && npm run dist`),
copy collector/web/dist here and point TOWERWATCH_WEB_DIST at it.
(Set TOWERWATCH_NPM to use an npm that is not on PATH.)";

/// One file to embed: URL path below `/assets/` ("" for the page itself) and its source.
struct File {
    url: String,
    path: PathBuf,
}

fn main() {
    let manifest =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    let web = manifest.join("web");
    println!("cargo:rerun-if-changed=web/src");
    println!("cargo:rerun-if-changed=web/package.json");
    println!("cargo:rerun-if-changed=web/package-lock.json");
    println!("cargo:rerun-if-env-changed=TOWERWATCH_WEB_DIST");
    println!("cargo:rerun-if-env-changed=TOWERWATCH_NPM");

    let files = match std::env::var_os("TOWERWATCH_WEB_DIST").filter(|v| !v.is_empty()) {
        Some(dist) => {
            let dist = PathBuf::from(dist);
            println!("cargo:rerun-if-changed={}", dist.display());
            from_dist(&dist)
        }
        None => {
            // Watched so that a deleted node_modules brings this script back.
            println!("cargo:rerun-if-changed=web/node_modules/leaflet/package.json");
            ensure_node_modules(&web);
            from_sources(&web)
        }
    };
    write_table(&out.join("web_assets.rs"), &files);
}

/// Our sources plus Leaflet's distribution files.
fn from_sources(web: &Path) -> Vec<File> {
    let mut files = Vec::new();
    for path in list(&web.join("src")) {
        let name = rel(&web.join("src"), &path);
        files.push(File { url: name, path });
    }
    let leaflet = web.join("node_modules/leaflet");
    for name in ["dist/leaflet.js", "dist/leaflet.css", "LICENSE"] {
        let path = leaflet.join(name);
        if !path.is_file() {
            panic!(
                "{} is missing after npm ci; remove collector/web/node_modules and build again",
                path.display()
            );
        }
        let url = match name {
            "LICENSE" => "vendor/leaflet/LICENSE.txt".to_string(),
            n => format!("vendor/leaflet/{}", n.trim_start_matches("dist/")),
        };
        files.push(File { url, path });
    }
    let images = leaflet.join("dist/images");
    for path in list(&images) {
        let url = format!("vendor/leaflet/images/{}", rel(&images, &path));
        files.push(File { url, path });
    }
    files
}

/// A prebuilt folder with the served layout (`npm run dist`).
fn from_dist(dist: &Path) -> Vec<File> {
    if !dist.join("index.html").is_file() || !dist.join("vendor/leaflet/leaflet.js").is_file() {
        panic!(
            "TOWERWATCH_WEB_DIST={} does not hold index.html and vendor/leaflet/leaflet.js; \
             make it with `npm run dist` in collector/web",
            dist.display()
        );
    }
    list(dist)
        .into_iter()
        .map(|path| File {
            url: rel(dist, &path),
            path,
        })
        .collect()
}

/// Runs `npm ci` when `node_modules` is missing or older than the lockfile.
fn ensure_node_modules(web: &Path) {
    let lock = web.join("package-lock.json");
    let installed = web.join("node_modules/.package-lock.json");
    let fresh = web.join("node_modules/leaflet/dist/leaflet.js").is_file()
        && match (mtime(&installed), mtime(&lock)) {
            (Some(i), Some(l)) => i >= l,
            _ => false,
        };
    if fresh {
        return;
    }
    let npm = std::env::var_os("TOWERWATCH_NPM").unwrap_or_else(|| "npm".into());
    match Command::new(&npm).arg("--version").output() {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`{} --version` failed ({}):\n{}\n\n{NPM_HELP}",
            npm.to_string_lossy(),
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("cannot run `{}`: {e}\n\n{NPM_HELP}", npm.to_string_lossy()),
    }
    println!(
        "cargo:warning=running `npm ci` in {} (Leaflet from the npm registry, pinned by package-lock.json)",
        web.display()
    );
    // --ignore-scripts: nothing from the registry runs during our build.
    let status = Command::new(&npm)
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(web)
        .status()
        .unwrap_or_else(|e| panic!("cannot run `npm ci`: {e}\n\n{NPM_HELP}"));
    if !status.success() {
        panic!(
            "`npm ci` in {} failed ({status}); is the npm registry reachable?\n\n{NPM_HELP}",
            web.display()
        );
    }
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Regular files below `dir`, recursively, sorted; dot files skipped.
fn list(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries =
            std::fs::read_dir(&d).unwrap_or_else(|e| panic!("reading {}: {e}", d.display()));
        for e in entries {
            let e = e.unwrap_or_else(|e| panic!("reading {}: {e}", d.display()));
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn rel(base: &Path, p: &Path) -> String {
    p.strip_prefix(base)
        .expect("below base")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn mime(url: &str) -> &'static str {
    match url.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// FNV-1a, 64 bits: an ETag that changes with the content.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn write_table(dest: &Path, files: &[File]) {
    let mut s = String::from(
        "// Generated by collector/build.rs: the analyst map's files.\n\
         /// (path below /assets/, content type, ETag, bytes)\n\
         pub(crate) static ASSETS: &[(&str, &str, &str, &[u8])] = &[\n",
    );
    for f in files {
        let bytes =
            std::fs::read(&f.path).unwrap_or_else(|e| panic!("reading {}: {e}", f.path.display()));
        let abs = f
            .path
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: {e}", f.path.display()));
        let _ = writeln!(
            s,
            "    ({:?}, {:?}, \"\\\"{:016x}\\\"\", include_bytes!({:?})),",
            f.url,
            mime(&f.url),
            fnv(&bytes),
            abs.to_string_lossy()
        );
    }
    s.push_str("];\n");
    // Only rewrite when different, so an unchanged table does not rebuild the crate.
    if std::fs::read_to_string(dest).ok().as_deref() != Some(s.as_str()) {
        std::fs::write(dest, s).unwrap_or_else(|e| panic!("writing {}: {e}", dest.display()));
    }
}
