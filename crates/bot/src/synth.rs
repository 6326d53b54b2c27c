//! A generated knowledge base for the scale benchmark (`kefu bot bench`): N items, half
//! Chinese and half English, each a distinct (qualifier, object, action) triple phrased
//! with 5 of 10 templates per language, plus labelled queries — paraphrases (a template
//! the item does not use, with a synonym swapped in), typo'd phrasings (dropped, swapped
//! or doubled letters; Chinese homophones), and out-of-scope questions. Deterministic for
//! a seed; no I/O.

use crate::fusion::Item;

/// SplitMix64: small, fast, and the same on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            xs.swap(i, self.below(i + 1));
        }
    }
}

const ZH_OBJECTS: [&str; 40] = [
    "订单",
    "发票",
    "退款",
    "快递",
    "优惠券",
    "会员卡",
    "积分",
    "密码",
    "账号",
    "收货地址",
    "手机号",
    "银行卡",
    "分期",
    "保修",
    "安装服务",
    "预约",
    "套餐",
    "流量",
    "话费",
    "押金",
    "门票",
    "机票",
    "酒店订单",
    "外卖",
    "课程",
    "证书",
    "体检报告",
    "保单",
    "理赔",
    "贷款",
    "信用卡",
    "账单",
    "收据",
    "礼品卡",
    "退货单",
    "合同",
    "租赁",
    "停车卡",
    "燃气费",
    "电费",
];
const ZH_ACTIONS: [&str; 20] = [
    "查询", "修改", "取消", "申请", "开具", "退回", "补办", "激活", "绑定", "解绑", "续费", "升级",
    "转让", "冻结", "挂失", "延期", "加急", "投诉", "评价", "打印",
];
/// Near-synonyms of the actions, for paraphrased queries (same index).
const ZH_ACTIONS_ALT: [&str; 20] = [
    "查看",
    "更改",
    "撤销",
    "办理",
    "开",
    "退掉",
    "重新办",
    "开通",
    "关联",
    "取消绑定",
    "续期",
    "升级一下",
    "过户",
    "暂停",
    "报失",
    "推迟",
    "催一下",
    "反映",
    "点评",
    "打出来",
];
const ZH_PRODUCTS: [&str; 25] = [
    "苹果手机",
    "华为平板",
    "小米电视",
    "空调",
    "冰箱",
    "洗衣机",
    "笔记本电脑",
    "耳机",
    "手表",
    "相机",
    "扫地机器人",
    "热水器",
    "净水器",
    "电动车",
    "婴儿车",
    "沙发",
    "床垫",
    "护肤品",
    "奶粉",
    "宠物粮",
    "咖啡机",
    "路由器",
    "打印机",
    "投影仪",
    "行李箱",
];
const ZH_TIERS: [&str; 5] = ["旗舰版", "家庭版", "企业版", "学生版", "国际版"];
const ZH_TEMPLATES: [&str; 10] = [
    "{q}的{o}怎么{a}",
    "如何{a}{q}{o}",
    "我想{a}一下{q}的{o}",
    "请问{q}{o}可以{a}吗",
    "{a}{q}{o}的流程是什么",
    "{q}{o}在哪里{a}",
    "帮我{a}{q}的{o}",
    "{q}{o}{a}需要多久",
    "{o}要{a}，是{q}的",
    "有没有办法{a}{q}{o}",
];
/// Characters and a same-sounding (or same-looking) mistake, as typed with pinyin input.
const ZH_TYPOS: [(char, char); 16] = [
    ('票', '漂'),
    ('单', '丹'),
    ('款', '宽'),
    ('订', '定'),
    ('码', '马'),
    ('账', '帐'),
    ('修', '休'),
    ('查', '察'),
    ('询', '寻'),
    ('消', '销'),
    ('请', '清'),
    ('办', '半'),
    ('卡', '咔'),
    ('费', '废'),
    ('取', '去'),
    ('怎', '咋'),
];

const EN_OBJECTS: [&str; 40] = [
    "order",
    "invoice",
    "refund",
    "parcel",
    "coupon",
    "membership card",
    "reward points",
    "password",
    "account",
    "shipping address",
    "phone number",
    "bank card",
    "instalment plan",
    "warranty",
    "installation",
    "appointment",
    "subscription",
    "data plan",
    "phone bill",
    "deposit",
    "ticket",
    "flight booking",
    "hotel booking",
    "delivery",
    "course",
    "certificate",
    "medical report",
    "insurance policy",
    "claim",
    "loan",
    "credit card",
    "statement",
    "receipt",
    "gift card",
    "return label",
    "contract",
    "rental",
    "parking permit",
    "gas bill",
    "electricity bill",
];
const EN_ACTIONS: [&str; 20] = [
    "check",
    "change",
    "cancel",
    "apply for",
    "get",
    "return",
    "replace",
    "activate",
    "link",
    "unlink",
    "renew",
    "upgrade",
    "transfer",
    "freeze",
    "report lost",
    "extend",
    "expedite",
    "complain about",
    "review",
    "print",
];
const EN_ACTIONS_ALT: [&str; 20] = [
    "look up",
    "modify",
    "call off",
    "request",
    "obtain",
    "send back",
    "swap",
    "turn on",
    "connect",
    "disconnect",
    "prolong",
    "improve",
    "move",
    "block",
    "report missing",
    "postpone",
    "speed up",
    "raise a complaint on",
    "rate",
    "print out",
];
const EN_PRODUCTS: [&str; 25] = [
    "iphone",
    "galaxy tablet",
    "smart tv",
    "air conditioner",
    "fridge",
    "washing machine",
    "laptop",
    "headphones",
    "smartwatch",
    "camera",
    "robot vacuum",
    "water heater",
    "water filter",
    "e-bike",
    "stroller",
    "sofa",
    "mattress",
    "skincare set",
    "baby formula",
    "pet food",
    "coffee machine",
    "router",
    "printer",
    "projector",
    "suitcase",
];
const EN_TIERS: [&str; 5] = ["premium", "family", "business", "student", "international"];
const EN_TEMPLATES: [&str; 10] = [
    "how do i {a} my {q} {o}",
    "can i {a} the {o} for my {q}",
    "i want to {a} my {q} {o}",
    "what is the process to {a} a {q} {o}",
    "where can i {a} the {o} of my {q}",
    "please help me {a} my {q} {o}",
    "how long does it take to {a} a {q} {o}",
    "is it possible to {a} my {q} {o}",
    "{a} {q} {o}",
    "need to {a} the {o} on my {q} asap",
];

const OOS_ZH: [&str; 12] = [
    "{c}明天天气怎么样",
    "给我讲个笑话吧",
    "{c}有什么好吃的餐厅推荐",
    "今晚的足球比赛谁赢了",
    "帮我写一首关于{c}的诗",
    "最近有什么好看的电影",
    "{c}到{d}的高铁几点发车",
    "股票今天涨了还是跌了",
    "怎么做红烧肉",
    "你是机器人吗",
    "{c}的房价多少",
    "周末去{d}玩什么好",
];
const OOS_EN: [&str; 12] = [
    "what's the weather like in {c} tomorrow",
    "tell me a joke",
    "recommend a restaurant in {c}",
    "who won the football match tonight",
    "write a poem about {c}",
    "any good movies lately",
    "when does the train from {c} to {d} leave",
    "did the stock market go up today",
    "how do i cook a roast chicken",
    "are you a robot",
    "how much are houses in {c}",
    "what should i do in {d} this weekend",
];
const CITIES_ZH: [&str; 8] = [
    "上海", "北京", "广州", "深圳", "杭州", "成都", "西安", "苏州",
];
const CITIES_EN: [&str; 8] = [
    "london", "paris", "berlin", "tokyo", "toronto", "sydney", "madrid", "rome",
];

/// A query with the index of the item it means (None: out of scope) and how it was made.
#[derive(Clone, Debug)]
pub struct SynthQuery {
    pub query: String,
    pub expected: Option<usize>,
    pub kind: &'static str,
}

#[derive(Clone, Copy)]
struct Spec {
    zh: bool,
    q: usize,
    o: usize,
    a: usize,
    templates: [usize; 5],
}

fn fill(t: &str, q: &str, o: &str, a: &str) -> String {
    t.replace("{q}", q).replace("{o}", o).replace("{a}", a)
}

fn qualifier(zh: bool, q: usize) -> String {
    if zh {
        format!("{}{}", ZH_TIERS[q / 25], ZH_PRODUCTS[q % 25])
    } else {
        format!("{} {}", EN_TIERS[q / 25], EN_PRODUCTS[q % 25])
    }
}

fn phrase(s: &Spec, template: usize, alt_action: bool) -> String {
    if s.zh {
        let a = if alt_action {
            ZH_ACTIONS_ALT[s.a]
        } else {
            ZH_ACTIONS[s.a]
        };
        fill(
            ZH_TEMPLATES[template],
            &qualifier(true, s.q),
            ZH_OBJECTS[s.o],
            a,
        )
    } else {
        let a = if alt_action {
            EN_ACTIONS_ALT[s.a]
        } else {
            EN_ACTIONS[s.a]
        };
        fill(
            EN_TEMPLATES[template],
            &qualifier(false, s.q),
            EN_OBJECTS[s.o],
            a,
        )
    }
}

/// The knowledge base: `n` items (at most 200,000), each with `phrasings` texts in all
/// (the standard question and `phrasings − 1` similar ones, at most 10).
pub struct SynthKb {
    pub items: Vec<Item>,
    specs: Vec<Spec>,
}

pub fn knowledge_base(n: usize, phrasings: usize, seed: u64) -> SynthKb {
    let per = phrasings.clamp(1, 5);
    let mut rng = Rng::new(seed);
    // Every (qualifier, object, action) triple of one language: 125 × 40 × 20 = 100,000.
    let mut triples: Vec<(usize, usize, usize)> = Vec::with_capacity(100_000);
    for q in 0..125 {
        for o in 0..40 {
            for a in 0..20 {
                triples.push((q, o, a));
            }
        }
    }
    let mut zh = triples.clone();
    let mut en = triples;
    rng.shuffle(&mut zh);
    rng.shuffle(&mut en);
    let n = n.min(200_000);
    let mut items = Vec::with_capacity(n);
    let mut specs = Vec::with_capacity(n);
    for i in 0..n {
        let is_zh = i % 2 == 0;
        let (q, o, a) = if is_zh { zh[i / 2] } else { en[i / 2] };
        let mut order: Vec<usize> = (0..10).collect();
        rng.shuffle(&mut order);
        let mut templates = [0usize; 5];
        templates.copy_from_slice(&order[..5]);
        let s = Spec {
            zh: is_zh,
            q,
            o,
            a,
            templates,
        };
        let texts: Vec<String> = templates[..per]
            .iter()
            .map(|&t| phrase(&s, t, false))
            .collect();
        items.push(Item {
            id: format!("g{i}"),
            question: texts[0].clone(),
            similar: texts[1..].to_vec(),
        });
        specs.push(s);
    }
    SynthKb { items, specs }
}

fn typo(rng: &mut Rng, text: &str, zh: bool) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if zh {
        let spots: Vec<usize> = chars
            .iter()
            .enumerate()
            .filter(|(_, c)| ZH_TYPOS.iter().any(|(a, _)| a == *c))
            .map(|(i, _)| i)
            .collect();
        if spots.is_empty() {
            if chars.len() > 4 {
                chars.remove(1 + rng.below(chars.len() - 2));
            }
        } else {
            let i = *rng.pick(&spots);
            if let Some((_, b)) = ZH_TYPOS.iter().find(|(a, _)| *a == chars[i]) {
                chars[i] = *b;
            }
        }
        return chars.into_iter().collect();
    }
    // One or two edits inside words longer than three letters.
    for _ in 0..1 + rng.below(2) {
        let spots: Vec<usize> = (1..chars.len().saturating_sub(2))
            .filter(|&i| {
                chars[i].is_ascii_alphabetic()
                    && chars[i + 1].is_ascii_alphabetic()
                    && chars[i - 1].is_ascii_alphabetic()
            })
            .collect();
        if spots.is_empty() {
            break;
        }
        let i = *rng.pick(&spots);
        match rng.below(3) {
            0 => {
                chars.remove(i);
            }
            1 => chars.swap(i, i + 1),
            _ => chars.insert(i, chars[i]),
        }
    }
    chars.into_iter().collect()
}

impl SynthKb {
    /// `n` queries: 40% paraphrases, 30% typo'd, 30% out of scope.
    pub fn queries(&self, n: usize, seed: u64) -> Vec<SynthQuery> {
        let mut rng = Rng::new(seed ^ 0x5eed);
        let mut out = Vec::with_capacity(n);
        for k in 0..n {
            let roll = k % 10;
            if roll < 7 && !self.specs.is_empty() {
                let i = rng.below(self.specs.len());
                let s = &self.specs[i];
                let unused: Vec<usize> = (0..10).filter(|t| !s.templates.contains(t)).collect();
                if roll < 4 {
                    let t = *rng.pick(&unused);
                    out.push(SynthQuery {
                        query: phrase(s, t, rng.below(2) == 0),
                        expected: Some(i),
                        kind: "paraphrase",
                    });
                } else {
                    let base = phrase(s, *rng.pick(&s.templates), false);
                    out.push(SynthQuery {
                        query: typo(&mut rng, &base, s.zh),
                        expected: Some(i),
                        kind: "typo",
                    });
                }
            } else {
                let zh = rng.below(2) == 0;
                let (t, cities): (&str, &[&str]) = if zh {
                    (*rng.pick(&OOS_ZH), &CITIES_ZH)
                } else {
                    (*rng.pick(&OOS_EN), &CITIES_EN)
                };
                let (c, d): (&str, &str) = (*rng.pick(cities), *rng.pick(cities));
                let q = t.replace("{c}", c).replace("{d}", d);
                out.push(SynthQuery {
                    query: q,
                    expected: None,
                    kind: "out_of_scope",
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_kb_and_items_differ() {
        let a = knowledge_base(1000, 5, 7);
        let b = knowledge_base(1000, 5, 7);
        assert_eq!(a.items[999].question, b.items[999].question);
        assert_eq!(a.items[0].similar.len(), 4);
        let mut qs: Vec<&str> = a.items.iter().map(|i| i.question.as_str()).collect();
        qs.sort_unstable();
        qs.dedup();
        assert_eq!(qs.len(), 1000, "standard questions are distinct");
        assert!(a.items[0].question.chars().any(crate::tokenize::is_cjk));
        assert!(a.items[1].question.is_ascii());
    }

    #[test]
    fn queries_are_not_copies_of_phrasings() {
        let kb = knowledge_base(2000, 5, 1);
        let qs = kb.queries(300, 1);
        let copies = qs
            .iter()
            .filter(|q| q.kind == "paraphrase")
            .filter(|q| {
                let it = &kb.items[q.expected.unwrap_or(0)];
                it.question == q.query || it.similar.contains(&q.query)
            })
            .count();
        assert_eq!(copies, 0);
        assert!(qs.iter().any(|q| q.expected.is_none()));
    }
}
