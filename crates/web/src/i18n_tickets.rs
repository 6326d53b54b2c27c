//! The tickets' strings (工单), zh-CN and English side by side, kept apart from
//! the main dictionary so the area can grow without crowding it. Keys starting
//! with `js_` are also handed to `workbench.js`.

use crate::i18n::Lang;

macro_rules! ticket_dictionary {
    ($( $key:ident : $zh:literal, $en:literal; )*) => {
        pub struct TkTr { $(pub $key: &'static str,)* }

        pub static TK_ZH: TkTr = TkTr { $($key: $zh,)* };
        pub static TK_EN: TkTr = TkTr { $($key: $en,)* };

        impl TkTr {
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($key), self.$key),)*]
            }
        }
    };
}

impl Lang {
    /// The tickets' strings in this language.
    pub fn tk(self) -> &'static TkTr {
        match self {
            Lang::Zh => &TK_ZH,
            Lang::En => &TK_EN,
        }
    }
}

impl TkTr {
    /// A priority key (low, normal, high, urgent) as people read it.
    pub fn priority(&self, key: &str) -> &'static str {
        match key {
            "low" => self.prio_low,
            "high" => self.prio_high,
            "urgent" => self.prio_urgent,
            _ => self.prio_normal,
        }
    }

    /// Where a ticket came from.
    pub fn source(&self, key: &str) -> &'static str {
        match key {
            "api" => self.src_api,
            "conversation" => self.src_conversation,
            "offline_message" => self.src_offline_message,
            "bot" => self.src_bot,
            _ => self.src_manual,
        }
    }

    /// A status category (open, resolved, closed).
    pub fn category(&self, key: &str) -> &'static str {
        match key {
            "resolved" => self.cat_resolved,
            "closed" => self.cat_closed,
            _ => self.cat_open,
        }
    }

    /// What a notification's kind says happened.
    pub fn notification(&self, kind: &str) -> &'static str {
        match kind {
            "ticket_assigned" => self.notif_ticket_assigned,
            "ticket_status" => self.notif_ticket_status,
            "ticket_reply" => self.notif_ticket_reply,
            "ticket_note" => self.notif_ticket_note,
            "ticket_assignee" => self.notif_ticket_assignee,
            "ticket_transferred" => self.notif_ticket_transferred,
            "follow_up_due" => self.notif_follow_up_due,
            _ => self.notifications,
        }
    }

    /// A history row's field name.
    pub fn field(&self, key: &str) -> String {
        match key {
            "created" => self.h_created.into(),
            "title" => self.subject.into(),
            "status" => self.status.into(),
            "priority" => self.priority.into(),
            "due_at" => self.due.into(),
            "assignee" => self.assignee.into(),
            "skill_group" => self.group.into(),
            "customer" => self.customer.into(),
            "watcher" => self.watchers.into(),
            other => other
                .strip_prefix("fields.")
                .map(|k| format!("{} · {k}", self.fields))
                .unwrap_or_else(|| other.to_string()),
        }
    }
}

ticket_dictionary! {
    nav: "工单", "Tickets";
    nav_types: "工单模板", "Ticket types";
    title: "工单", "Tickets";
    new: "新建工单", "New ticket";
    all: "全部", "All";
    cat_open: "未完结", "Open";
    cat_resolved: "已解决", "Resolved";
    cat_closed: "已关闭", "Closed";
    mine: "只看分派给我的", "Assigned to me only";
    group: "技能组", "Skill group";
    priority: "优先级", "Priority";
    prio_low: "低", "Low";
    prio_normal: "普通", "Normal";
    prio_high: "高", "High";
    prio_urgent: "紧急", "Urgent";
    filter: "筛选", "Filter";
    number: "编号", "No.";
    subject: "标题", "Title";
    ticket_type: "工单类型", "Type";
    status: "状态", "Status";
    assignee: "处理人", "Assignee";
    unassigned: "未分派", "Unassigned";
    customer: "客户", "Customer";
    updated: "更新时间", "Updated";
    due: "截止时间", "Due";
    empty: "没有符合条件的工单。", "No tickets match.";
    total: "共 {n} 个工单", "{n} tickets";
    choose_type: "选择工单类型", "Choose a ticket type";
    no_types: "还没有工单模板，请管理员先创建。", "There is no ticket type yet; an administrator creates one first.";
    next: "下一步", "Next";
    create: "创建工单", "Create ticket";
    from_conversation: "来自会话", "From a conversation";
    transcript: "查看会话记录", "View the transcript";
    transcript_title: "会话记录", "Transcript";
    group_default: "按工单类型默认", "The type's default";
    fields: "表单", "Form";
    transitions: "流转", "Move to";
    no_transitions: "当前状态没有可用的流转。", "No step leads on from this status.";
    reserved: "仅限指定角色或技能组", "Reserved for other roles or groups";
    comments: "回复与备注", "Replies and notes";
    reply: "公开回复", "Public reply";
    note: "内部备注", "Internal note";
    post: "提交", "Post";
    no_comments: "还没有回复。", "No replies yet.";
    history: "变更记录", "History";
    h_created: "创建工单", "Created";
    watchers: "关注人", "Watchers";
    watch: "关注", "Watch";
    unwatch: "取消关注", "Unwatch";
    no_watchers: "无人关注。", "Nobody watches it.";
    assign_me: "分派给我", "Assign to me";
    transfer: "转交技能组", "Hand over to a skill group";
    transfer_note: "转交说明", "Note for the new group";
    transfer_none: "你所在技能组的流转范围内没有可转交的技能组。", "The flow scope of your skill groups allows no skill group.";
    print: "打印", "Print";
    print_hint: "使用浏览器的打印功能打印本页。", "Use your browser's print command to print this page.";
    created_by: "创建人", "Created by";
    created_at: "创建时间", "Created";
    source: "来源", "Source";
    src_manual: "手工创建", "By hand";
    src_api: "接口", "API";
    src_conversation: "会话", "Conversation";
    src_offline_message: "留言", "Offline message";
    src_bot: "机器人", "Bot";
    save: "保存修改", "Save changes";
    invalid_fields: "以下内容有误，请修改：", "Please correct the following:";
    notifications: "我的通知", "My notifications";
    mark_all_read: "全部标为已读", "Mark all read";
    no_notifications: "没有未读通知。", "No unread notifications.";
    system: "系统", "System";
    yes: "是", "Yes";
    no: "否", "No";
    attachments_hint: "选择文件上传（最大 10 MiB：图片、PDF、Office、ZIP、文本），或填写已上传文件的 ID，用逗号分隔", "Choose files to upload (at most 10 MiB: images, PDF, Office, ZIP, text), or enter ids of uploaded files, separated by commas";
    attach_files: "上传附件", "Attach files";
    uploading: "正在上传", "Uploading";
    uploaded: "已上传", "Uploaded";
    files: "附件", "Attachments";
    cascade_hint: "用 / 分隔各级，例如 手机/旗舰", "Separate the levels with /, e.g. Phones/Flagship";
    multi_hint: "多个选项用分号分隔", "Separate several options with ;";
    required: "必填", "required";
    types_title: "工单模板", "Ticket types";
    types_hint: "每个工单类型有自己的表单、流程（状态、允许的流转及可执行的角色或技能组）和默认技能组。表单与流程以 JSON 编写；留空流程则使用标准流程：待处理 → 处理中 → 已解决 → 已关闭。", "Each ticket type has its own form, workflow (statuses, allowed steps, and the roles or skill groups who may take each) and default skill group. The form and the workflow are written as JSON; an empty workflow means the standard one: new → in progress → resolved → closed.";
    type_name: "名称", "Name";
    type_description: "说明", "Description";
    type_fields: "表单字段（JSON）", "Form fields (JSON)";
    type_fields_hint: "例如 [{\"key\":\"order_no\",\"label\":\"订单号\",\"kind\":\"text\",\"required\":true}]；kind 可为 text、rich_text、number、date、select、multi_select、cascade、attachment。", "e.g. [{\"key\":\"order_no\",\"label\":\"Order\",\"kind\":\"text\",\"required\":true}]; kind is text, rich_text, number, date, select, multi_select, cascade or attachment.";
    type_workflow: "流程（JSON）", "Workflow (JSON)";
    type_active: "启用", "Active";
    type_create: "创建工单类型", "Create ticket type";
    type_delete: "删除", "Delete";
    type_confirm_delete: "确定删除该工单类型吗？已有工单的类型无法删除。", "Delete this ticket type? A type with tickets cannot be deleted.";
    type_edit: "编辑工单类型", "Edit ticket type";
    type_none: "还没有工单类型。", "No ticket types yet.";
    type_tickets: "状态数 / 流转数", "Statuses / steps";
    bad_json: "{field} 不是有效的 JSON：{msg}", "{field} is not valid JSON: {msg}";
    flow_scope: "工单流转范围", "Ticket flow scope";
    flow_scope_hint: "本组成员可以把工单转交给哪些技能组。成员所在的任一技能组未设置范围时，可转交给所有技能组；否则为各组范围的并集。", "Which skill groups members of this group may hand tickets to. If any group a member belongs to has no scope set, they may hand tickets to every group; otherwise to the union of their groups' scopes.";
    flow_scope_unset: "不设置（可转交给所有技能组）", "Not set (every skill group)";
    flow_scope_only: "仅限所选技能组", "Only the chosen skill groups";
    flow_scope_save: "保存流转范围", "Save flow scope";
    js_tickets: "工单", "Tickets";
    js_create: "创建工单", "Create ticket";
    js_none: "该客户还没有工单。", "This customer has no tickets yet.";
    js_assigned: "新工单 #{n} 分派给你：{title}", "Ticket #{n} was assigned to you: {title}";
    js_changed: "工单有更新：{title}", "Ticket updated: {title}";
    notif_ticket_assigned: "分派给你", "Assigned to you";
    notif_ticket_status: "状态已变更", "Status changed";
    notif_ticket_reply: "有新回复", "New reply";
    notif_ticket_note: "有新内部备注", "New internal note";
    notif_ticket_assignee: "处理人已变更", "Assignee changed";
    notif_ticket_transferred: "已转交技能组", "Handed to another skill group";
    notif_follow_up_due: "跟进提醒", "Follow-up due";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ticket_string_exists_in_both_languages() {
        let zh = TK_ZH.entries();
        let en = TK_EN.entries();
        assert_eq!(zh.len(), en.len());
        for ((k, z), (_, e)) in zh.iter().zip(en.iter()) {
            assert!(!z.trim().is_empty() && !e.trim().is_empty(), "{k} is empty");
            assert_ne!(z, e, "{k} is not translated");
            for ph in ["{n}", "{title}", "{field}", "{msg}"] {
                assert_eq!(z.contains(ph), e.contains(ph), "placeholder {ph} in {k}");
            }
        }
    }
}
