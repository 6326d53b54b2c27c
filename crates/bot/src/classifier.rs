//! A multinomial logistic-regression classifier over sentence embeddings, trained when the
//! index is built: features are standardised (mean-centred, one global scale), training is
//! mini-batch SGD with a linearly decaying step, L2 regularisation and a fixed-seed shuffle,
//! so the same knowledge base always gives the same model.

/// The fewest mini-batch updates training makes, whatever the data size.
pub const MIN_STEPS: usize = 3000;

#[derive(Clone, Copy, Debug)]
pub struct TrainParams {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub batch: usize,
    pub seed: u64,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            epochs: 12,
            learning_rate: 0.5,
            l2: 1e-4,
            batch: 16,
            seed: 0x6b65_6675,
        }
    }
}

#[derive(Clone, Debug)]
pub struct LogReg {
    d: usize,
    k: usize,
    mean: Vec<f32>,
    inv_scale: f32,
    /// k × d, row-major
    w: Vec<f32>,
    b: Vec<f32>,
}

/// xorshift64*: tiny deterministic generator for the shuffle.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

fn softmax(z: &mut [f32]) {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    for v in z.iter_mut() {
        *v /= s;
    }
}

impl LogReg {
    /// Train on rows `x` (all of one dimension) with labels `y` in `0..k`.
    pub fn train(x: &[Vec<f32>], y: &[usize], k: usize, p: TrainParams) -> Result<Self, String> {
        let n = x.len();
        if n == 0 || k == 0 || y.len() != n {
            return Err("classifier: no training data".into());
        }
        let d = x[0].len();
        if x.iter().any(|r| r.len() != d) || y.iter().any(|&c| c >= k) {
            return Err("classifier: ragged rows or label out of range".into());
        }
        let mut mean = vec![0f32; d];
        for r in x {
            for (m, v) in mean.iter_mut().zip(r) {
                *m += v / n as f32;
            }
        }
        let var: f32 = x
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&mean)
                    .map(|(v, m)| (v - m) * (v - m))
                    .sum::<f32>()
            })
            .sum::<f32>()
            / (n * d) as f32;
        let inv_scale = 1.0 / var.sqrt().max(1e-6);
        let mut model = LogReg {
            d,
            k,
            mean,
            inv_scale,
            w: vec![0.0; k * d],
            b: vec![0.0; k],
        };
        let feats: Vec<Vec<f32>> = x.iter().map(|r| model.features(r)).collect();
        let mut order: Vec<usize> = (0..n).collect();
        let mut rng = Rng(p.seed | 1);
        // Small knowledge bases (a few phrasings per item) get more epochs: at least
        // `MIN_STEPS` updates in all.
        let per_epoch = n.div_ceil(p.batch.max(1));
        let epochs = p.epochs.max(MIN_STEPS.div_ceil(per_epoch));
        let steps_total = (epochs * per_epoch).max(1) as f32;
        let mut step = 0f32;
        let mut grad_w = vec![0f32; k * d];
        let mut grad_b = vec![0f32; k];
        let mut z = vec![0f32; k];
        for _ in 0..epochs {
            rng.shuffle(&mut order);
            for chunk in order.chunks(p.batch.max(1)) {
                let lr = p.learning_rate * (1.0 - step / steps_total) / d as f32;
                step += 1.0;
                grad_w.iter_mut().for_each(|g| *g = 0.0);
                grad_b.iter_mut().for_each(|g| *g = 0.0);
                for &i in chunk {
                    let f = &feats[i];
                    model.logits_into(f, &mut z);
                    softmax(&mut z);
                    z[y[i]] -= 1.0;
                    for c in 0..k {
                        let g = z[c];
                        if g.abs() < 1e-7 {
                            continue;
                        }
                        grad_b[c] += g;
                        let row = &mut grad_w[c * d..(c + 1) * d];
                        for (gw, fv) in row.iter_mut().zip(f) {
                            *gw += g * fv;
                        }
                    }
                }
                let scale = lr / chunk.len() as f32;
                let decay = 1.0 - lr * p.l2;
                for (w, g) in model.w.iter_mut().zip(&grad_w) {
                    *w = *w * decay - scale * g;
                }
                for (b, g) in model.b.iter_mut().zip(&grad_b) {
                    *b -= scale * g * d as f32;
                }
            }
        }
        Ok(model)
    }

    fn features(&self, x: &[f32]) -> Vec<f32> {
        x.iter()
            .zip(&self.mean)
            .map(|(v, m)| (v - m) * self.inv_scale)
            .collect()
    }

    fn logits_into(&self, f: &[f32], z: &mut [f32]) {
        for (c, zc) in z.iter_mut().enumerate() {
            let row = &self.w[c * self.d..(c + 1) * self.d];
            *zc = self.b[c] + row.iter().zip(f).map(|(w, v)| w * v).sum::<f32>();
        }
    }

    /// Class probabilities for one embedding.
    pub fn predict(&self, x: &[f32]) -> Vec<f32> {
        let f = self.features(x);
        let mut z = vec![0f32; self.k];
        self.logits_into(&f, &mut z);
        softmax(&mut z);
        z
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_points_are_learned_deterministically() {
        let x = vec![
            vec![1.0, 0.0, 0.1],
            vec![0.9, 0.1, 0.0],
            vec![0.0, 1.0, 0.1],
            vec![0.1, 0.9, 0.0],
            vec![0.0, 0.1, 1.0],
            vec![0.1, 0.0, 0.9],
        ];
        let y = vec![0, 0, 1, 1, 2, 2];
        let p = TrainParams {
            epochs: 200,
            ..Default::default()
        };
        let m = LogReg::train(&x, &y, 3, p).unwrap();
        let probs = m.predict(&[0.95, 0.05, 0.0]);
        assert!(probs[0] > 0.6, "{probs:?}");
        let again = LogReg::train(&x, &y, 3, p).unwrap();
        assert_eq!(m.predict(&[0.2, 0.3, 0.5]), again.predict(&[0.2, 0.3, 0.5]));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(LogReg::train(&[], &[], 2, TrainParams::default()).is_err());
        assert!(LogReg::train(&[vec![1.0]], &[5], 2, TrainParams::default()).is_err());
    }
}
