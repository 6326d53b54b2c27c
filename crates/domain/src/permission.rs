//! Named permissions and the three built-in roles.
//!
//! Custom roles are any set of these permissions. Endpoints check a permission,
//! never a role name, so a custom role works everywhere a built-in one does.

use serde::{Deserialize, Serialize};

macro_rules! permissions {
    ($( $variant:ident = $key:literal, $en:literal, $zh:literal; )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Permission { $( #[serde(rename = $key)] $variant, )* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            pub fn key(self) -> &'static str {
                match self { $(Permission::$variant => $key,)* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($key => Some(Permission::$variant),)* _ => None }
            }
            pub fn label(self, lang_zh: bool) -> &'static str {
                match self { $(Permission::$variant => if lang_zh { $zh } else { $en },)* }
            }
        }
    };
}

permissions! {
    UsersView = "users.view", "View users", "查看用户";
    UsersManage = "users.manage", "Manage users", "管理用户";
    RolesManage = "roles.manage", "Manage roles", "管理角色";
    OrgManage = "org.manage", "Manage departments, skill groups and channels", "管理部门、技能组和渠道";
    StatusesManage = "statuses.manage", "Manage reception statuses", "管理接待状态";
    AgentStatusManage = "agents.status.manage", "Change other agents' reception status", "修改他人接待状态";
    TokensManage = "tokens.manage", "Manage API tokens", "管理 API 令牌";
    AuditView = "audit.view", "View the audit log", "查看审计日志";
    Supervise = "conversations.supervise", "Monitor queues and conversations, reassign them", "监控与调度会话";
    PoolPhoneView = "pool.phone.view", "View public-pool phone numbers", "查看公海号码";
    MultimediaAgent = "agent.multimedia", "Multimedia agent", "多媒体坐席";
    CallCenterAgent = "agent.callcenter", "Call-center agent", "呼叫中心坐席";
    Export = "data.export", "Export data", "导出数据";
    CustomersView = "customers.view", "View and follow up customers", "查看与跟进客户";
    CustomersViewAll = "customers.view_all", "See every customer, owned or not", "查看全部客户";
    CustomersMerge = "customers.merge", "Merge customer records", "合并客户";
    CustomersImport = "customers.import", "Import customers", "导入客户";
    CustomerTemplatesManage = "customer_templates.manage", "Manage customer templates", "管理客户模板";
    KnowledgeView = "knowledge.view", "View the knowledge base", "查看知识库";
    KnowledgeManage = "knowledge.manage", "Manage the knowledge base", "管理知识库";
    TicketsView = "tickets.view", "Work on tickets: create, follow, comment, move those of one's groups", "处理工单";
    TicketsViewAll = "tickets.view_all", "See every ticket", "查看全部工单";
    TicketsManage = "tickets.manage", "Assign and edit any ticket", "管理与分派工单";
    TicketTypesManage = "ticket_types.manage", "Manage ticket types and workflows", "管理工单模板与流程";
    SlaManage = "sla.manage", "Manage SLA policies and business calendars", "管理 SLA 策略与工作日历";
    FlowsManage = "flows.manage", "Manage and test multi-turn bot flows", "管理多轮对话流程";
}

/// The roles every tenant starts with. They are stored like custom roles (so they
/// show in lists and can be assigned) but their permission sets are fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuiltinRole {
    Administrator,
    TeamLead,
    Agent,
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 3] = [Self::Administrator, Self::TeamLead, Self::Agent];

    pub fn key(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::TeamLead => "team_lead",
            Self::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == s)
    }

    pub fn name(self, zh: bool) -> &'static str {
        match (self, zh) {
            (Self::Administrator, false) => "Administrator",
            (Self::Administrator, true) => "管理员",
            (Self::TeamLead, false) => "Team lead",
            (Self::TeamLead, true) => "班长",
            (Self::Agent, false) => "Agent",
            (Self::Agent, true) => "坐席",
        }
    }

    pub fn permissions(self) -> Vec<Permission> {
        use Permission::*;
        match self {
            Self::Administrator => Permission::ALL.to_vec(),
            Self::TeamLead => vec![
                UsersView,
                AgentStatusManage,
                Supervise,
                MultimediaAgent,
                Export,
                CustomersView,
                CustomersViewAll,
                CustomersMerge,
                CustomersImport,
                KnowledgeView,
                TicketsView,
                TicketsViewAll,
                TicketsManage,
            ],
            Self::Agent => vec![MultimediaAgent, CustomersView, KnowledgeView, TicketsView],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_permission_key_round_trips() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.key()), Some(*p));
        }
        assert_eq!(Permission::parse("users.delete_everything"), None);
    }

    #[test]
    fn agents_cannot_manage_users_but_admins_can() {
        assert!(!BuiltinRole::Agent
            .permissions()
            .contains(&Permission::UsersManage));
        assert!(BuiltinRole::Administrator
            .permissions()
            .contains(&Permission::UsersManage));
    }
}
