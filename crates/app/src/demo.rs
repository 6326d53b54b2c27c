//! The demo tenant `kefu serve --demo` seeds so a newcomer has something to
//! manage: departments, three skill groups, an administrator, a team lead, four
//! agents, a web channel and a customer template.

use crate::{App, AppResult};
use kefu_domain::{BuiltinRole, TenantId};
use kefu_store::{channels, departments, knowledge, skill_groups, users, Conn, TenantScope};
use serde_json::json;

pub const DEMO_TENANT: &str = "demo";
/// A fixed, printed password: the demo exists to be tried, not to be safe.
pub const DEMO_PASSWORD: &str = "kefu-demo-2026";

#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: &'static str,
    pub role: BuiltinRole,
}

#[derive(Debug, Clone)]
pub struct DemoInfo {
    pub tenant: String,
    pub password: &'static str,
    pub logins: Vec<DemoLogin>,
    pub channel_key: String,
    /// False when the demo tenant already existed and nothing was seeded.
    pub created: bool,
}

const PEOPLE: &[(&str, &str, BuiltinRole)] = &[
    ("admin", "王管理", BuiltinRole::Administrator),
    ("lead", "李班长", BuiltinRole::TeamLead),
    ("agent1", "张小美", BuiltinRole::Agent),
    ("agent2", "刘晓东", BuiltinRole::Agent),
    ("agent3", "陈静", BuiltinRole::Agent),
    ("agent4", "Emily Zhao", BuiltinRole::Agent),
];

impl App {
    /// Seed the demo tenant unless it exists. Idempotent, so `serve --demo` can
    /// be run again on the same database.
    pub async fn seed_demo(&self) -> AppResult<DemoInfo> {
        let logins = PEOPLE
            .iter()
            .map(|(u, _, r)| DemoLogin {
                username: u,
                role: *r,
            })
            .collect();
        if let Ok(t) = self.find_tenant(DEMO_TENANT).await {
            let scope = TenantScope::new(TenantId::from_db(t.id));
            let mut conn = self.store.conn().await?;
            crate::flows::ensure_demo_flow(&mut conn, &scope).await?;
            let key = channels::list(&mut conn, &scope)
                .await?
                .into_iter()
                .next()
                .map(|c| c.public_key)
                .unwrap_or_default();
            drop(conn);
            let mut tx = self.store.begin().await?;
            seed_demo_knowledge(&mut tx, &scope).await?;
            tx.commit().await?;
            return Ok(DemoInfo {
                tenant: DEMO_TENANT.into(),
                password: DEMO_PASSWORD,
                logins,
                channel_key: key,
                created: false,
            });
        }
        let tenant = self.create_tenant(DEMO_TENANT, "演示企业 Demo Co.").await?;
        let scope = TenantScope::new(TenantId::from_db(tenant.id));
        for (username, name, role) in PEOPLE {
            self.create_user_as_operator(DEMO_TENANT, username, name, DEMO_PASSWORD, *role)
                .await?;
        }
        let mut tx = self.store.begin().await?;
        let center = departments::create(&mut tx, &scope, "客服中心", None).await?;
        let pre = departments::create(&mut tx, &scope, "售前部", Some(&center.id)).await?;
        let post = departments::create(&mut tx, &scope, "售后部", Some(&center.id)).await?;
        let sales = skill_groups::create(
            &mut tx,
            &scope,
            "售前咨询",
            Some(&pre.id),
            "Pre-sales questions",
        )
        .await?;
        let service = skill_groups::create(
            &mut tx,
            &scope,
            "售后服务",
            Some(&post.id),
            "Orders, returns, repairs",
        )
        .await?;
        let vip = skill_groups::create(
            &mut tx,
            &scope,
            "VIP专席",
            Some(&center.id),
            "VIP and green-channel customers",
        )
        .await?;
        let members: &[(&str, &str, i64)] = &[
            ("agent1", &sales.id, 5),
            ("agent2", &sales.id, 3),
            ("agent2", &service.id, 6),
            ("agent3", &service.id, 8),
            ("agent4", &service.id, 4),
            ("agent4", &vip.id, 9),
            ("lead", &vip.id, 10),
        ];
        for (username, group, level) in members {
            if let Some(u) = users::find_by_username(&mut tx, &scope, username).await? {
                skill_groups::put_member(&mut tx, &scope, group, &u.id, *level).await?;
                let dept = if *group == sales.id {
                    &pre.id
                } else {
                    &post.id
                };
                let mut f = users::UserFields::from(&u);
                f.department_id.get_or_insert_with(|| dept.clone());
                users::update(&mut tx, &scope, &u.id, &f).await?;
            }
        }
        let channel = channels::create(
            &mut tx,
            &scope,
            "web",
            &crate::secrets::random_token(12),
            &channels::ChannelFields {
                name: "官网在线咨询",
                skill_group_id: Some(&sales.id),
                greeting: DEMO_GREETING,
            },
        )
        .await?;
        // The bot answers first; "转人工" reaches the agents.
        let mut ws = channels::widget_settings(&mut tx, &scope, &channel.id).await?;
        ws.bot_first = true;
        channels::set_widget_settings(&mut tx, &scope, &channel.id, &ws).await?;
        seed_demo_knowledge(&mut tx, &scope).await?;
        crate::crm::templates::seed_demo_template(&mut tx, &scope).await?;
        let ticket_type =
            crate::tickets::types::seed_demo_type(&mut tx, &scope, &service.id).await?;
        crate::sla::seed_demo(&mut tx, &scope, &ticket_type.id).await?;
        crate::flows::ensure_demo_flow(&mut tx, &scope).await?;
        tx.commit().await?;
        Ok(DemoInfo {
            tenant: DEMO_TENANT.into(),
            password: DEMO_PASSWORD,
            logins,
            channel_key: channel.public_key,
            created: true,
        })
    }
}

const DEMO_GREETING: &str =
    "您好，我是智能助手，退货、发货时间、修改地址、发票等问题都可以问我；需要人工客服请发送“转人工”。";

/// Demo knowledge (Chinese e-commerce): (question, similar phrasings, answer).
const DEMO_KNOWLEDGE: &[(&str, &[&str], &str)] = &[
    (
        "怎么申请退货？",
        &["我想退货", "退货流程是什么", "商品不满意可以退吗", "七天无理由退货怎么操作"],
        "签收后 7 天内可申请无理由退货：进入「我的订单」→ 选择订单 →「申请售后」→「退货」，填写原因并寄回商品。仓库签收后 1–3 个工作日内原路退款。",
    ),
    (
        "下单后多久发货？",
        &["什么时候发货", "发货时间是多久", "多久能发货", "今天下单今天发吗"],
        "现货商品付款后 24 小时内发货，16:00 前付款当天发出；预售商品以商品页标注的发货时间为准。",
    ),
    (
        "怎么修改收货地址？",
        &["地址填错了怎么办", "能改地址吗", "想换个收货地址", "下单后可以修改地址吗"],
        "发货前可在「我的订单」→ 订单详情 →「修改地址」中自行修改；已发货的订单请转人工客服协助拦截改派。",
    ),
    (
        "怎么开发票？",
        &["发票怎么开", "能开增值税专用发票吗", "电子发票在哪下载", "可以开公司抬头的发票吗"],
        "订单完成后在「我的订单」→「申请开票」填写抬头和税号，电子发票 1–2 个工作日内发送到您的邮箱；增值税专用发票请转人工客服办理。",
    ),
    (
        "退款多久到账？",
        &["钱什么时候退回来", "退款进度怎么查", "退款还没到账"],
        "退款审核通过后原路退回：微信、支付宝一般即时到账，银行卡 1–5 个工作日。可在「我的订单」→「售后记录」查看进度。",
    ),
    (
        "运费怎么算？",
        &["包邮吗", "满多少包邮", "运费多少钱"],
        "订单满 99 元全国包邮（偏远地区除外），不满 99 元收取 8 元运费。",
    ),
    (
        "怎么查询订单物流？",
        &["我的订单到哪了", "查物流", "快递到哪里了", "怎么查快递"],
        "在「我的订单」中点开订单即可查看物流进度；也可以把订单号发给人工客服帮您查询。",
    ),
    (
        "支持哪些支付方式？",
        &["可以用花呗吗", "能用信用卡付款吗", "支持微信支付吗"],
        "支持微信支付、支付宝（含花呗分期）、银联信用卡和储蓄卡。",
    ),
];

/// The demo knowledge base, unless the tenant already has knowledge items.
async fn seed_demo_knowledge(conn: &mut Conn, scope: &TenantScope) -> AppResult<()> {
    if !knowledge::list_items(conn, scope, None).await?.is_empty() {
        return Ok(());
    }
    let cat = match knowledge::find_category(conn, scope, "常见问题", None).await? {
        Some(c) => c,
        None => knowledge::create_category(conn, scope, "常见问题", None).await?,
    };
    for (q, similar, answer) in DEMO_KNOWLEDGE {
        let similar: Vec<String> = similar.iter().map(|s| s.to_string()).collect();
        knowledge::create_item(
            conn,
            scope,
            &knowledge::ItemFields {
                category_id: &cat.id,
                question: q,
                similar: &similar,
                answer: &json!({"text": answer}),
                enabled: true,
                valid_from: None,
                valid_to: None,
            },
        )
        .await?;
    }
    for terms in [["退款", "退钱"], ["快递", "物流"]] {
        let terms: Vec<String> = terms.iter().map(|s| s.to_string()).collect();
        knowledge::create_synonyms(conn, scope, &terms).await?;
    }
    Ok(())
}
