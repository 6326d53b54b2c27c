//! Enables the AVX-512 matrix kernel (`cfg(kefu_avx512)`) when the compiler has the
//! AVX-512 intrinsics (stable since Rust 1.89; the workspace's `rust-version` is older, and
//! the AVX2 kernel serves such compilers). Nothing is downloaded or generated.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(kefu_avx512)");
    println!("cargo::rerun-if-env-changed=RUSTC");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let minor = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| {
            // "rustc 1.95.0 (59807616e 2026-04-14)"
            let ver = v.split_whitespace().nth(1)?.to_string();
            let mut parts = ver.split('.');
            let major: u32 = parts.next()?.parse().ok()?;
            let minor: u32 = parts.next()?.parse().ok()?;
            Some(if major > 1 { u32::MAX } else { minor })
        })
        .unwrap_or(0);
    if minor >= 89 {
        println!("cargo::rustc-cfg=kefu_avx512");
    }
}
