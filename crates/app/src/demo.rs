//! The demo tenant `kefu serve --demo` seeds so a newcomer has something to
//! manage: departments, three skill groups, an administrator, a team lead, four
//! agents, a web channel and a customer template.

use crate::{App, AppResult};
use kefu_domain::{BuiltinRole, TenantId};
use kefu_store::{channels, departments, skill_groups, users, TenantScope};

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
                greeting: "您好，欢迎咨询！请问有什么可以帮您？",
            },
        )
        .await?;
        crate::crm::templates::seed_demo_template(&mut tx, &scope).await?;
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
