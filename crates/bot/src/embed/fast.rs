//! The encoder's forward pass in plain Rust over `f32` buffers (weights read by candle at
//! load time, then packed by [`super::kernels::Packed`]).
//!
//! Why: a query is one short sequence (≈ 10–25 tokens) embedded on one thread, and there
//! candle's per-op costs (re-packing each transposed weight matrix, a fresh tensor per op)
//! were most of the time. Here the sequences of a batch are laid end to end without
//! padding — every linear layer is one product over all their tokens, and attention runs
//! per sequence — so the same code serves one query and the batches of indexing.
//! [`super::reference::CandleEncoder`] keeps the tensor version for the equivalence test.

use super::kernels::{gelu, layer_norm, softmax, Packed, Scratch};
use super::EncoderConfig;
use candle_core::Tensor;
use candle_nn::VarBuilder;

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    /// query, key and value projections side by side (`3h` outputs)
    qkv: Packed,
    ao: Packed,
    aln: Norm,
    fi: Packed,
    fo: Packed,
    oln: Norm,
}

pub(super) struct Model {
    h: usize,
    heads: usize,
    eps: f32,
    /// kept as a candle tensor: `index_select` reads the rows a batch needs
    word: Tensor,
    /// position rows from the model's first position id on (`max_content + 2` of them)
    pos: Vec<f32>,
    n_pos: usize,
    typ: Vec<f32>,
    eln: Norm,
    layers: Vec<Layer>,
}

fn ce(e: candle_core::Error) -> String {
    format!("embedding model: {e}")
}

fn vec1(vb: &VarBuilder, n: usize, name: &str) -> Result<Vec<f32>, String> {
    vb.get(n, name).and_then(|t| t.to_vec1()).map_err(ce)
}

fn mat(vb: &VarBuilder, rows: usize, cols: usize, name: &str) -> Result<Vec<f32>, String> {
    vb.get((rows, cols), name)
        .and_then(|t| t.flatten_all()?.to_vec1())
        .map_err(ce)
}

fn norm(vb: &VarBuilder, name: &str, h: usize) -> Result<Norm, String> {
    Ok(Norm {
        gamma: vec1(vb, h, &format!("{name}.weight"))?,
        beta: vec1(vb, h, &format!("{name}.bias"))?,
    })
}

fn linear(vb: &VarBuilder, name: &str, k: usize, n: usize) -> Result<Packed, String> {
    let w = mat(vb, n, k, &format!("{name}.weight"))?;
    Packed::new(&w, vec1(vb, n, &format!("{name}.bias"))?, n, k)
}

impl Model {
    /// `vb` is rooted at the encoder (the `roberta.` / `bert.` prefix already applied).
    pub(super) fn load(
        cfg: &EncoderConfig,
        vb: &VarBuilder,
        pos_offset: usize,
    ) -> Result<Self, String> {
        let h = cfg.hidden_size;
        let f = cfg.intermediate_size;
        let e = vb.pp("embeddings");
        let word = e
            .get((cfg.vocab_size, h), "word_embeddings.weight")
            .map_err(ce)?;
        let all_pos = mat(
            &e,
            cfg.max_position_embeddings,
            h,
            "position_embeddings.weight",
        )?;
        let n_pos = cfg.max_position_embeddings.saturating_sub(pos_offset);
        let pos = all_pos[pos_offset * h..].to_vec();
        let typ = mat(&e, cfg.type_vocab_size, h, "token_type_embeddings.weight")?[..h].to_vec();
        let eln = norm(&e, "LayerNorm", h)?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for l in 0..cfg.num_hidden_layers {
            let v = vb.pp(format!("encoder.layer.{l}"));
            let part = |name: &str| -> Result<(Vec<f32>, Vec<f32>), String> {
                Ok((
                    mat(&v, h, h, &format!("attention.self.{name}.weight"))?,
                    vec1(&v, h, &format!("attention.self.{name}.bias"))?,
                ))
            };
            let (q, k, vv) = (part("query")?, part("key")?, part("value")?);
            layers.push(Layer {
                qkv: Packed::concat(&[(&q.0, &q.1, h), (&k.0, &k.1, h), (&vv.0, &vv.1, h)], h)?,
                ao: linear(&v, "attention.output.dense", h, h)?,
                aln: norm(&v, "attention.output.LayerNorm", h)?,
                fi: linear(&v, "intermediate.dense", h, f)?,
                fo: linear(&v, "output.dense", f, h)?,
                oln: norm(&v, "output.LayerNorm", h)?,
            });
        }
        Ok(Model {
            h,
            heads: cfg.num_attention_heads,
            eps: cfg.layer_norm_eps as f32,
            word,
            pos,
            n_pos,
            typ,
            eln,
            layers,
        })
    }

    /// Mean-pooled, L2-normalised vectors of token sequences (each already within the
    /// model's length: [`super::Encoder::token_ids`] truncates).
    pub(super) fn forward(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, String> {
        let h = self.h;
        let rows: usize = seqs.iter().map(Vec::len).sum();
        if rows == 0 {
            return Ok(vec![vec![0f32; h]; seqs.len()]);
        }
        if let Some(s) = seqs.iter().find(|s| s.len() > self.n_pos) {
            return Err(format!(
                "embedding model: {} tokens exceed the model's {} positions",
                s.len(),
                self.n_pos
            ));
        }
        let ids: Vec<u32> = seqs.iter().flatten().copied().collect();
        let ids = Tensor::from_vec(ids, rows, self.word.device()).map_err(ce)?;
        let mut x: Vec<f32> = self
            .word
            .index_select(&ids, 0)
            .and_then(|t| t.flatten_all()?.to_vec1())
            .map_err(ce)?;
        let mut r = 0;
        for s in seqs {
            for i in 0..s.len() {
                let row = &mut x[(r + i) * h..(r + i + 1) * h];
                let p = &self.pos[i * h..(i + 1) * h];
                for ((v, p), t) in row.iter_mut().zip(p).zip(&self.typ) {
                    // (word + position) + type: candle's order of broadcast adds
                    *v = (*v + p) + t;
                }
            }
            r += s.len();
        }
        layer_norm(&mut x, h, &self.eln.gamma, &self.eln.beta, self.eps);

        let f = self.layers.first().map_or(0, |l| l.fi.n);
        let mut qkv = vec![0f32; rows * 3 * h];
        let mut ctx = vec![0f32; rows * h];
        let mut tmp = vec![0f32; rows * h];
        let mut mid = vec![0f32; rows * f];
        let mut scores = Vec::new();
        let mut sc = Scratch::default();
        for ly in &self.layers {
            ly.qkv.forward(&x, rows, &mut qkv, &mut sc);
            let mut start = 0;
            for s in seqs {
                self.attention(&qkv, start, s.len(), &mut ctx, &mut scores);
                start += s.len();
            }
            ly.ao.forward(&ctx, rows, &mut tmp, &mut sc);
            for (v, t) in x.iter_mut().zip(&tmp) {
                *v += t;
            }
            layer_norm(&mut x, h, &ly.aln.gamma, &ly.aln.beta, self.eps);
            ly.fi.forward(&x, rows, &mut mid, &mut sc);
            gelu(&mut mid);
            ly.fo.forward(&mid, rows, &mut tmp, &mut sc);
            for (v, t) in x.iter_mut().zip(&tmp) {
                *v += t;
            }
            layer_norm(&mut x, h, &ly.oln.gamma, &ly.oln.beta, self.eps);
        }

        // mean over each sequence's tokens, then L2 (candle: norm clamped at 1e-12)
        let mut out = Vec::with_capacity(seqs.len());
        let mut start = 0;
        for s in seqs {
            let mut mean = vec![0f32; h];
            for row in x[start * h..(start + s.len()) * h].chunks_exact(h) {
                for (m, v) in mean.iter_mut().zip(row) {
                    *m += v;
                }
            }
            let count = s.len().max(1) as f32;
            mean.iter_mut().for_each(|m| *m /= count);
            let n = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            mean.iter_mut().for_each(|m| *m /= n);
            out.push(mean);
            start += s.len();
        }
        Ok(out)
    }

    /// Self-attention of the `len` tokens from row `start`, written into `ctx`'s rows.
    fn attention(
        &self,
        qkv: &[f32],
        start: usize,
        len: usize,
        ctx: &mut [f32],
        scores: &mut Vec<f32>,
    ) {
        let h = self.h;
        let hd = h / self.heads;
        let scale = 1.0 / (hd as f32).sqrt();
        let row = |i: usize| &qkv[(start + i) * 3 * h..(start + i + 1) * 3 * h];
        scores.resize(len, 0.0);
        for head in 0..self.heads {
            let o = head * hd;
            for i in 0..len {
                let q = &row(i)[o..o + hd];
                for (j, sc) in scores.iter_mut().enumerate() {
                    let k = &row(j)[h + o..h + o + hd];
                    *sc = q.iter().zip(k).map(|(a, b)| a * b).sum::<f32>() * scale;
                }
                softmax(scores);
                let c = &mut ctx[(start + i) * h + o..(start + i) * h + o + hd];
                c.fill(0.0);
                for (j, &p) in scores.iter().enumerate() {
                    let v = &row(j)[2 * h + o..2 * h + o + hd];
                    for (c, v) in c.iter_mut().zip(v) {
                        *c += p * v;
                    }
                }
            }
        }
    }
}
