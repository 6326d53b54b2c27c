//! zh-CN and English. Every visible string is a field of [`Tr`]; both languages
//! are written side by side in one macro so a key cannot exist in only one of
//! them (the compiler refuses a missing field, the test refuses an empty one).

/// The two languages the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The BCP 47 tag, for `<html lang>` and the `lang` cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim() {
            "zh-CN" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn is_zh(self) -> bool {
        self == Lang::Zh
    }

    pub fn tr(self) -> &'static Tr {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// Pick between two inline translations (used for messages built at run
    /// time, where a dictionary key would only add indirection).
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Choose the language: an explicit choice (the `lang` cookie) wins, then the
/// signed-in user's setting, then the browser's Accept-Language.
pub fn negotiate(cookie: Option<&str>, user_locale: Option<&str>, accept: Option<&str>) -> Lang {
    cookie
        .and_then(Lang::parse)
        .or_else(|| user_locale.and_then(Lang::parse))
        .unwrap_or_else(|| from_accept_language(accept.unwrap_or("")))
}

/// The highest-weighted language we speak wins; a browser that prefers French
/// and then Chinese gets Chinese, and anything else gets English.
pub fn from_accept_language(header: &str) -> Lang {
    let mut best: Option<(f32, Lang)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        let lang = if tag == "zh" || tag.starts_with("zh-") {
            Lang::Zh
        } else if tag == "en" || tag.starts_with("en-") {
            Lang::En
        } else {
            continue;
        };
        let better = match best {
            None => true,
            Some((bq, _)) => q > bq,
        };
        if q > 0.0 && better {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l).unwrap_or(Lang::En)
}

macro_rules! dictionary {
    ($($key:ident: $zh:expr, $en:expr;)*) => {
        /// One language's strings. Placeholders in braces (`{until}`) are filled
        /// in by the code that uses them.
        pub struct Tr { $(pub $key: &'static str,)* }

        pub static ZH: Tr = Tr { $($key: $zh,)* };
        pub static EN: Tr = Tr { $($key: $en,)* };

        impl Tr {
            /// Every (key, text) pair, for the completeness test.
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($key), self.$key),)*]
            }
        }
    };
}

dictionary! {
    tagline: "全渠道智能客服系统", "Omnichannel customer service";
    admin_console: "管理后台", "Admin console";
    language: "语言", "Language";
    skip_to_content: "跳到正文", "Skip to content";

    // SLA (服务水平) and the customer's progress page (进度跟踪)
    progress_title: "工单进度", "Ticket progress";
    sla_progress_link: "客户进度链接（发给客户）", "Customer progress link (send it to the customer)";
    progress_ticket_no: "工单编号", "Ticket";
    progress_status: "当前状态", "Status";
    progress_created: "提交时间", "Submitted";
    progress_resolved_note: "此工单已解决。如仍有问题，可在下方补充说明。", "This ticket is resolved. If something is still wrong, add a reply below.";
    progress_replies: "处理记录", "Replies";
    progress_no_replies: "还没有回复，我们会尽快处理。", "No replies yet; we will get back to you soon.";
    progress_from_agent: "客服", "Support";
    progress_from_you: "您", "You";
    progress_reply_label: "补充说明", "Add a reply";
    progress_reply_send: "发送", "Send";
    progress_reply_sent: "已发送，我们会尽快查看。", "Sent. We will look at it soon.";
    progress_survey_title: "请为本次服务评分", "How did we do?";
    progress_survey_rating: "满意度（1–5 星）", "Rating (1–5 stars)";
    progress_survey_comment: "意见或建议（选填）", "Comments (optional)";
    progress_survey_submit: "提交评价", "Submit rating";
    progress_survey_thanks: "感谢您的评价！", "Thank you for your feedback!";
    progress_survey_given: "您的评价", "Your rating";
    progress_error_rating: "请选择 1 到 5 颗星。", "Choose 1 to 5 stars.";
    progress_error_empty: "请输入内容（最多 5000 字）。", "Please write something (at most 5,000 characters).";
    progress_error_rated: "这张工单已经评价过了。", "This ticket has already been rated.";
    progress_error_not_resolved: "工单解决后才能评价。", "You can rate the ticket once it is resolved.";
    nav_sla: "SLA 与日历", "SLA & calendars";
    sla_title: "SLA 策略与工作日历", "SLA policies and business calendars";
    sla_hint: "SLA 按工单类型和优先级设定首次响应与解决时限，按所选工作日历的工作时间计算（节假日、调休）；超时前预警，超时后升级。", "SLA policies set first-response and resolution targets per ticket type and priority, counted in the business hours of a calendar (holidays, make-up days); they warn before a breach and escalate on it.";
    sla_calendars: "工作日历", "Business calendars";
    sla_no_calendars: "还没有工作日历；没有日历的策略按全天候计时。", "No calendars yet; policies without one count around the clock.";
    sla_create_calendar: "新建工作日历", "New business calendar";
    sla_utc_offset: "UTC 偏移（分钟，中国为 480）", "UTC offset (minutes, 480 for China)";
    sla_weekdays: "工作日", "Working days";
    sla_hours_from: "上班", "From";
    sla_hours_to: "下班", "To";
    sla_holidays: "法定节假日（每行一个日期，如 2026-10-01）", "Holidays (one date per line, e.g. 2026-10-01)";
    sla_workdays: "调休上班日（每行一个日期）", "Make-up working days (one date per line)";
    sla_policies: "SLA 策略", "SLA policies";
    sla_no_policies: "还没有 SLA 策略。", "No SLA policies yet.";
    sla_create_policy: "新建 SLA 策略", "New SLA policy";
    sla_ticket_type: "工单类型", "Ticket type";
    sla_priority: "优先级", "Priority";
    sla_any: "任意", "Any";
    sla_calendar: "工作日历", "Calendar";
    sla_around_clock: "全天候（7×24）", "Around the clock (24×7)";
    sla_first_response: "首次响应（工作分钟）", "First response (business minutes)";
    sla_resolution: "解决（工作分钟）", "Resolution (business minutes)";
    sla_warn_percent: "用掉百分之多少时预警", "Warn when this % is used";
    sla_warn_before: "或提前多少分钟预警", "Or warn this many minutes before";
    sla_escalation: "超时升级", "On breach";
    sla_esc_none: "只记录", "Record only";
    sla_esc_notify: "通知班长", "Notify the team lead";
    sla_esc_reassign: "转派", "Reassign";
    sla_esc_user: "人员", "Person";
    sla_esc_group: "技能组", "Skill group";
    sla_enabled: "启用", "Enabled";
    sla_target_first_response: "首次响应", "First response";
    sla_target_resolution: "解决时限", "Resolution";
    sla_state_running: "计时中", "Running";
    sla_state_warning: "即将超时", "Due soon";
    sla_state_breached: "已超时", "Overdue";
    sla_state_met: "已达成", "Met";
    sla_state_met_late: "超时后完成", "Met late";
    sla_due_in: "剩余", "Due in";
    sla_overdue_by: "已超时", "Overdue by";
    sla_due_at: "截止", "Due";
    prio_low: "低", "Low";
    prio_normal: "普通", "Normal";
    prio_high: "高", "High";
    prio_urgent: "紧急", "Urgent";

    // Sign-in
    sign_in: "登录", "Sign in";
    sign_in_title: "登录客服系统", "Sign in to kefu";
    sign_out: "退出登录", "Sign out";
    tenant: "企业账户", "Tenant";
    tenant_hint: "贵公司在客服系统中的账户名，例如 demo", "Your company's account name, e.g. demo";
    username: "用户名", "Username";
    password: "密码", "Password";
    login_bad_credentials: "企业账户、用户名或密码不正确。", "Wrong tenant, username or password.";
    login_locked: "由于多次登录失败，该账户已被锁定至 {until}。请到时再试，或请管理员提前解锁。", "After repeated failed sign-ins this account is locked until {until}. Try again then, or ask an administrator to unlock it.";
    login_rate_limited: "来自您所在网络的登录尝试过多，请在 {secs} 秒后重试。", "Too many sign-in attempts from your network. Try again in {secs} seconds.";
    login_deactivated: "该账户已停用，请联系管理员。", "This account is deactivated. Please contact your administrator.";
    login_form_expired: "登录页面已过期，请重新提交。", "The sign-in page had expired. Please submit again.";
    login_session_ended: "会话已结束，请重新登录。", "Your session has ended. Please sign in again.";
    signed_out: "您已安全退出。", "You have been signed out.";
    totp_title: "两步验证", "Two-step verification";
    totp_prompt: "请输入身份验证器应用中显示的 6 位验证码。", "Enter the 6-digit code shown in your authenticator app.";
    totp_code: "验证码", "Code";
    verify: "验证", "Verify";
    totp_wrong: "验证码错误或已使用过，请等待新的验证码。", "The code is wrong or was already used. Wait for a new one.";
    back_to_sign_in: "返回登录", "Back to sign-in";

    // Navigation and header
    nav_overview: "概览", "Overview";
    nav_users: "用户", "Users";
    nav_roles: "角色", "Roles";
    nav_departments: "部门", "Departments";
    nav_skill_groups: "技能组", "Skill groups";
    nav_statuses: "接待状态", "Reception statuses";
    nav_tokens: "API 令牌", "API tokens";
    nav_audit: "审计日志", "Audit log";
    nav_profile: "个人设置", "My profile";
    my_status: "我的状态", "My status";
    apply: "应用", "Apply";
    status_unset: "未设置", "Not set";

    // Common words
    save: "保存", "Save";
    create: "创建", "Create";
    delete: "删除", "Delete";
    edit: "编辑", "Edit";
    actions: "操作", "Actions";
    name: "名称", "Name";
    description: "描述", "Description";
    none: "（无）", "(none)";
    yes: "是", "Yes";
    no: "否", "No";
    never: "从未", "Never";
    optional: "选填", "optional";
    confirm_delete: "确定删除吗？此操作无法撤销。", "Delete this? It cannot be undone.";
    back_to_list: "返回列表", "Back to the list";
    copy: "复制", "Copy";

    // Flash messages
    flash_saved: "已保存。", "Saved.";
    flash_created: "已创建。", "Created.";
    flash_deleted: "已删除。", "Deleted.";
    flash_revoked: "令牌已吊销。", "The token was revoked.";
    flash_unlocked: "账户已解锁。", "The account was unlocked.";
    flash_status: "接待状态已更新。", "Reception status updated.";
    flash_password: "密码已修改，您在其他设备上的登录已退出。", "Password changed. Your other sessions were signed out.";
    flash_totp_on: "两步验证已开启。", "Two-step verification is on.";
    flash_totp_off: "两步验证已关闭。", "Two-step verification is off.";
    flash_member_saved: "成员已保存。", "Member saved.";
    flash_member_removed: "成员已移除。", "Member removed.";

    // Error pages
    error_forbidden: "没有权限", "Access denied";
    error_forbidden_text: "您的角色没有此操作所需的权限：{perm}。如需开通，请联系管理员。", "Your role lacks the permission this needs: {perm}. Ask an administrator if you need it.";
    error_not_allowed: "不允许的操作", "Not allowed";
    error_not_found: "未找到", "Not found";
    error_not_found_text: "您要找的内容不存在，或已被删除。", "What you are looking for does not exist or was deleted.";
    error_internal: "出错了", "Something went wrong";
    error_internal_text: "服务器处理请求时出错，请稍后重试。问题持续时请联系管理员。", "The server failed to handle the request. Try again later, and tell your administrator if it persists.";
    error_csrf: "页面已过期", "The page has expired";
    error_csrf_text: "表单的安全令牌缺失或已过期。请刷新页面后重试。", "The form's security token is missing or out of date. Reload the page and try again.";
    back_home: "返回首页", "Back to the console";

    // Overview
    overview_title: "概览", "Overview";
    welcome: "欢迎，{name}", "Welcome, {name}";
    overview_users: "用户数", "Users";
    overview_groups: "技能组", "Skill groups";
    overview_statuses: "接待状态", "Reception statuses";
    overview_role: "您的角色", "Your role";
    overview_hint: "从左侧菜单管理组织、人员和权限。", "Use the menu on the left to manage your organisation, people and access.";

    // Users
    users_title: "用户", "Users";
    display_name: "姓名", "Display name";
    email: "电子邮箱", "E-mail";
    role: "角色", "Role";
    department: "部门", "Department";
    reception_limit: "接待上限", "Reception limit";
    reception_limit_hint: "同时接待的会话数上限（0–100）", "Most chats at once (0–100)";
    ticket_limit: "工单上限", "Ticket limit";
    ticket_limit_hint: "自动分配时同时处理的工单数上限（0–1000）", "Most open tickets routing gives at once (0–1000)";
    status: "状态", "Status";
    reception_status: "接待状态", "Reception status";
    account: "账户", "Account";
    active: "已启用", "Active";
    deactivated: "已停用", "Deactivated";
    locked: "已锁定", "Locked";
    locked_until: "已锁定至 {until}", "Locked until {until}";
    sip_extension: "分机号", "SIP extension";
    sip_hint: "2–8 位数字", "2–8 digits";
    locale: "界面语言", "Interface language";
    locale_auto: "跟随浏览器", "Browser default";
    create_user: "新建用户", "New user";
    edit_user: "编辑用户", "Edit user";
    user_active_label: "启用此账户（停用后无法登录）", "Account active (deactivated accounts cannot sign in)";
    reset_password: "重置密码", "Reset password";
    reset_password_hint: "留空则不修改；修改后该用户的所有登录会话将退出", "Leave blank to keep; setting one signs the user out everywhere";
    unlock: "解锁", "Unlock";
    unlock_hint: "该账户因多次登录失败被锁定。", "This account was locked after repeated failed sign-ins.";
    delete_user: "删除用户", "Delete user";
    confirm_delete_user: "确定删除该用户吗？此操作无法撤销。", "Delete this user? This cannot be undone.";
    user_groups: "所属技能组", "Skill groups";
    set_agent_status: "设置接待状态", "Set reception status";
    totp: "两步验证", "Two-step verification";
    on: "已开启", "On";
    off: "未开启", "Off";
    no_users: "还没有用户。", "No users yet.";
    read_only_hint: "您只能查看，不能修改。", "You can view but not change this.";

    // Roles
    roles_title: "角色", "Roles";
    builtin: "内置", "Built-in";
    custom: "自定义", "Custom";
    kind: "类型", "Type";
    permissions: "权限", "Permissions";
    create_role: "新建角色", "New role";
    builtin_roles_hint: "内置角色的权限固定不变；需要不同的权限组合时，请新建自定义角色。", "Built-in roles have fixed permissions; create a custom role for a different set.";
    no_permissions: "无权限", "No permissions";

    // Departments
    departments_title: "部门", "Departments";
    parent_department: "上级部门", "Parent department";
    top_level: "（顶级部门）", "(top level)";
    create_department: "新建部门", "New department";
    no_departments: "还没有部门。", "No departments yet.";
    departments_hint: "组织架构：部门可以逐级嵌套。", "The organisation tree: departments can be nested.";

    // Skill groups
    skill_groups_title: "技能组", "Skill groups";
    members: "成员", "Members";
    manage_members: "管理成员", "Manage members";
    level: "技能等级", "Level";
    level_hint: "1 = 初级 … 10 = 专家", "1 = junior … 10 = expert";
    add_member: "添加成员", "Add member";
    remove: "移除", "Remove";
    confirm_remove_member: "确定将该成员移出技能组吗？", "Remove this member from the group?";
    create_skill_group: "新建技能组", "New skill group";
    no_skill_groups: "还没有技能组。", "No skill groups yet.";
    no_members: "该技能组还没有成员。", "This group has no members yet.";
    no_candidates: "所有用户都已是该组成员。", "Every user is already a member.";
    members_of: "技能组成员：{name}", "Members of {name}";
    user: "用户", "User";

    // Reception statuses
    statuses_title: "接待状态", "Reception statuses";
    statuses_hint: "坐席只有处于“可接待”的状态时，才会被分配新的会话。", "Agents get new work only while in a status that can receive.";
    can_receive: "可接待", "Can receive";
    sort_order: "排序", "Order";
    create_status: "新建接待状态", "New reception status";
    no_statuses: "还没有接待状态。", "No reception statuses yet.";

    // API tokens
    tokens_title: "API 令牌", "API tokens";
    tokens_hint: "供系统集成使用：调用 API 时以 Authorization: Bearer 方式携带，拥有所选角色的权限。", "For integrations: sent as Authorization: Bearer, with the permissions of the chosen role.";
    token_prefix: "前缀", "Prefix";
    created_at: "创建时间", "Created";
    last_used: "最近使用", "Last used";
    revoked: "已吊销", "Revoked";
    revoke: "吊销", "Revoke";
    confirm_revoke: "确定吊销该令牌吗？使用它的集成将立即失效。", "Revoke this token? Integrations using it stop working at once.";
    create_token: "新建令牌", "New token";
    token_created: "令牌已创建", "Token created";
    token_secret_warning: "请立即复制并妥善保存此令牌。它只显示这一次，关闭页面后无法再次查看。", "Copy this token now and keep it safe. It is shown only this once and cannot be displayed again.";
    no_tokens: "还没有 API 令牌。", "No API tokens yet.";

    // Audit log
    audit_title: "审计日志", "Audit log";
    audit_hint: "所有管理操作的记录：谁、何时、改了什么。", "Every administrative change: who, when, and what changed.";
    time: "时间", "Time";
    actor: "操作人", "Actor";
    action: "操作", "Action";
    resource: "对象", "Resource";
    changes: "变更内容", "Changes";
    before: "变更前", "Before";
    after: "变更后", "After";
    ip_address: "IP 地址", "IP address";
    resource_type: "对象类型", "Resource type";
    all_types: "全部类型", "All types";
    filter: "筛选", "Filter";
    older: "更早的记录 →", "Older entries →";
    newest: "← 最新记录", "← Newest";
    no_entries: "没有符合条件的记录。", "No matching entries.";
    show: "查看", "Show";
    res_user: "用户", "User";
    res_role: "角色", "Role";
    res_department: "部门", "Department";
    res_skill_group: "技能组", "Skill group";
    res_reception_status: "接待状态", "Reception status";
    res_api_token: "API 令牌", "API token";
    res_tenant: "企业账户", "Tenant";
    res_channel: "渠道", "Channel";

    // Profile
    profile_title: "个人设置", "My profile";
    profile_details: "基本信息", "Details";
    change_password: "修改密码", "Change password";
    current_password: "当前密码", "Current password";
    new_password: "新密码", "New password";
    password_hint: "至少 8 个字符", "At least 8 characters";
    totp_off_text: "两步验证未开启。开启后，登录时除密码外还需输入身份验证器应用生成的验证码。", "Two-step verification is off. When on, signing in asks for a code from an authenticator app as well as your password.";
    totp_enable: "开启两步验证", "Turn on two-step verification";
    totp_scan: "用身份验证器应用（如 Microsoft Authenticator、Google Authenticator）扫描二维码，或手动输入下面的密钥，然后输入应用显示的验证码完成开启。", "Scan the QR code with an authenticator app (such as Microsoft Authenticator or Google Authenticator), or type in the key below, then enter the code the app shows.";
    totp_secret: "密钥", "Key";
    totp_confirm: "确认开启", "Confirm";
    totp_on_text: "两步验证已开启：登录时需要输入身份验证器应用中的验证码。", "Two-step verification is on: signing in asks for a code from your authenticator app.";
    totp_disable: "关闭两步验证", "Turn off two-step verification";
    totp_disable_hint: "为确认是您本人操作，请输入密码。", "Enter your password to confirm it is you.";
    totp_qr_label: "两步验证二维码", "Two-step verification QR code";

    // Agent workbench (客服工作台). Keys starting with wb_ are also handed to
    // workbench.js; {x} placeholders are filled in there.
    nav_workbench: "客服工作台", "Workbench";
    nav_monitor: "实时监控", "Live monitor";
    wb_title: "客服工作台", "Agent workbench";
    wb_connection_online: "已连接", "Online";
    wb_connection_offline: "连接中断，正在重连…", "Offline, reconnecting…";
    wb_connection_connecting: "正在连接…", "Connecting…";
    wb_notify_enable: "开启桌面通知", "Enable notifications";
    wb_tab_conversations: "会话", "Conversations";
    wb_tab_offline: "留言", "Left messages";
    wb_tab_pickup: "待抢单", "Pick up";
    wb_no_pickup: "暂无待抢单的会话。", "Nothing waiting to be picked up.";
    wb_pickup_take: "抢单", "Pick up";
    wb_pickup_taken: "手慢了，该会话已被其他客服接起。", "Too late: another agent already picked this one up.";
    wb_no_conversations: "暂无进行中的会话。有新会话分配给您时会响铃提醒。", "No open conversations. A sound plays when new work arrives.";
    wb_no_offline: "没有待处理的留言。", "No unhandled left messages.";
    wb_pick_conversation: "从左侧选择一个会话开始接待。", "Pick a conversation on the left to start.";
    wb_transfer: "转接", "Transfer";
    wb_invite_rating: "邀评", "Invite rating";
    wb_end: "结束", "End";
    wb_note_toggle: "内部备注", "Internal note";
    wb_attach: "附件", "Attach";
    wb_send: "发送", "Send";
    wb_input_placeholder: "输入消息：Enter 发送，Shift+Enter 换行，开头输入 / 搜索快捷回复", "Type a message: Enter sends, Shift+Enter adds a line, / at the start searches quick replies";
    wb_note_placeholder: "内部备注只有同事能看到，访客看不到", "Internal notes are seen by colleagues only, never by the visitor";
    wb_quick_none: "没有匹配的快捷回复。", "No matching quick replies.";
    wb_quick_label: "快捷回复", "Quick replies";
    wb_transfer_title: "转接会话", "Transfer the conversation";
    wb_transfer_group: "转给技能组", "To a skill group";
    wb_transfer_agent: "转给坐席", "To an agent";
    wb_transfer_choose: "（请选择）", "(choose)";
    wb_transfer_note: "转接备注", "Note for the next agent";
    wb_transfer_hint: "技能组和坐席二选一。坐席须处于可接待状态且还有接待余量。", "Choose a group or an agent. An agent must be receiving and have room.";
    wb_transfer_pick_one: "请选择一个技能组或一位坐席。", "Choose a skill group or an agent.";
    wb_not_receiving: "不可接待", "not receiving";
    wb_end_title: "结束会话", "End the conversation";
    wb_end_resolved: "问题已解决（完成）", "Resolved (completed)";
    wb_end_summary: "服务总结", "Service summary";
    wb_end_tags: "会话标签", "Tags";
    wb_end_tags_hint: "用逗号分隔，例如：退款, 物流", "Separate with commas, e.g. refund, shipping";
    wb_cancel: "取消", "Cancel";
    wb_confirm: "确定", "OK";
    wb_customer: "客户资料", "Customer";
    wb_customer_name: "姓名", "Name";
    wb_customer_phone: "电话", "Phone";
    wb_customer_email: "邮箱", "E-mail";
    wb_customer_tags: "客户标签", "Tags";
    wb_customer_notes: "备注", "Notes";
    wb_customer_save: "保存资料", "Save";
    wb_customer_saved: "客户资料已保存。", "Customer saved.";
    wb_customer_none: "选择会话后，这里显示客户资料。", "The customer of the chosen conversation shows here.";
    wb_customer_unavailable: "暂时无法加载客户资料。", "The customer record could not be loaded.";
    wb_history: "历史会话", "Previous conversations";
    wb_history_none: "没有历史会话。", "No previous conversations.";
    wb_why_me: "为什么分配给我", "Why me";
    wb_why_strategy: "分配策略", "Strategy";
    strategy_least_busy: "最少会话优先", "Least busy first";
    strategy_round_robin: "轮流分配", "Round robin";
    strategy_longest_idle: "空闲最久优先", "Longest idle first";
    strategy_most_skilled: "技能等级最高优先", "Most skilled first";
    strategy_fewest_today: "今日接待最少优先", "Fewest served today first";
    strategy_weighted_random: "按权重随机", "Weighted random";
    strategy_sticky: "老客户优先原客服", "Sticky (last agent first)";
    strategy_broadcast: "抢单", "Broadcast (first to accept)";
    sticky_wait: "等待原客服（秒）", "Wait for last agent (seconds)";
    sticky_wait_hint: "仅用于“老客户优先原客服”：原客服忙时客户最多等这么久，之后按最少会话分配。", "Sticky groups only: how long a returning customer waits for their busy previous agent before the least busy member takes them.";
    wb_why_eligible: "可分配", "eligible";
    wb_current: "当前", "current";
    wb_sending: "发送中…", "Sending…";
    wb_failed: "发送失败：{msg}", "Not sent: {msg}";
    wb_typing: "对方正在输入…", "The visitor is typing…";
    wb_mark_handled: "标记已处理", "Mark handled";
    wb_new: "新", "New";
    wb_ended: "已结束", "Ended";
    wb_dismiss: "从列表移除", "Remove from the list";
    wb_waiting: "已等待 {t}", "Waiting {t}";
    wb_unread: "{n} 条未读", "{n} unread";
    wb_state_bot: "机器人", "Bot";
    wb_state_queued: "排队中", "Queued";
    wb_state_active: "接待中", "Active";
    wb_state_transferred: "转接中", "Transferring";
    wb_state_closed: "已关闭", "Closed";
    wb_state_completed: "已完成", "Completed";
    wb_sender_visitor: "访客", "Visitor";
    wb_sender_bot: "机器人", "Bot";
    wb_sender_agent: "客服", "Agent";
    wb_note_label: "内部备注", "Internal note";
    wb_image: "图片", "Image";
    wb_file: "文件", "File";
    wb_sys_queued: "访客进入排队", "The visitor joined the queue";
    wb_sys_assigned: "会话已分配给 {agent}", "Assigned to {agent}";
    wb_sys_transferred: "会话已转接", "The conversation was transferred";
    wb_sys_note: "转接备注：{note}", "Transfer note: {note}";
    wb_sys_closed: "会话已关闭", "The conversation was closed";
    wb_sys_completed: "会话已完成", "The conversation was completed";
    wb_sys_visitor_left: "访客已离开", "The visitor left";
    wb_sys_rated: "访客评价：{stars} 星", "The visitor rated it {stars} stars";
    wb_sys_rating_invited: "已邀请访客评价", "The visitor was invited to rate";
    wb_sys_other: "系统事件：{event}", "System event: {event}";
    wb_sys_flow_handoff: "机器人流程转人工，已收集：{slots}", "The bot's flow handed off; collected: {slots}";
    wb_done_transfer: "会话已转接。", "The conversation was transferred.";
    wb_done_close: "会话已结束。", "The conversation was ended.";
    wb_done_invite: "已邀请访客评价。", "The visitor was invited to rate.";
    wb_done_status: "接待状态已更新。", "Reception status updated.";
    wb_error: "操作失败：{msg}", "That failed: {msg}";
    wb_upload_failed: "上传失败：{msg}", "Upload failed: {msg}";
    wb_new_work: "新会话：{name}", "New conversation: {name}";
    wb_new_work_body: "有新的访客等待接待。", "A visitor is waiting for you.";
    wb_visitor: "访客", "Visitor";
    wb_read: "已读", "Read";
    wb_offline_now: "当前未连接，请稍后再试。", "Not connected right now. Try again in a moment.";
    wb_shortcuts: "Enter 发送 · Shift+Enter 换行 · / 快捷回复", "Enter send · Shift+Enter new line · / quick replies";
    wb_bot_label: "机器人", "Bot";
    wb_sys_handoff: "机器人转人工：{reason}", "Handed over by the bot: {reason}";
    wb_handoff_asked: "访客要求人工", "the visitor asked for a human";
    wb_handoff_button: "访客点击了转人工", "the visitor clicked 转人工";
    wb_handoff_angry: "访客情绪激动，已优先排队", "the visitor is upset (queued first)";
    wb_assist_title: "智能推荐", "Suggested answers";
    wb_assist_send: "发送", "Send";
    wb_assist_edit: "编辑", "Edit";

    // Live monitor (监控). Keys starting with mon_ are also handed to monitor.js.
    mon_title: "实时监控", "Live monitor";
    mon_hint: "各技能组的排队和坐席负载，有变化时自动刷新。", "Queues and agent load per skill group, refreshed whenever they change.";
    mon_updated: "更新于", "Updated";
    mon_open: "进行中的会话", "Open conversations";
    mon_queued: "排队总数", "Queued in total";
    mon_receiving: "可接待坐席", "Agents receiving";
    mon_queue_length: "排队数", "In queue";
    mon_longest_wait: "最长等待", "Longest wait";
    mon_agent: "坐席", "Agent";
    mon_status: "接待状态", "Status";
    mon_load: "接待量", "Load";
    mon_force_status: "强制切换状态", "Force status";
    mon_no_groups: "还没有技能组。", "No skill groups yet.";
    mon_no_agents: "该技能组没有成员。", "This group has no members.";
    mon_status_unset: "未设置", "Not set";
    mon_live: "实时", "Live";
    mon_polling: "每 10 秒刷新", "Refreshing every 10 s";
    mon_status_changed: "已修改 {name} 的接待状态。", "Changed the status of {name}.";
    mon_error: "操作失败：{msg}", "That failed: {msg}";

    // Unmatched questions (未匹配问题). Keys starting with um_js_ are also handed to unmatched.js.
    nav_unmatched: "未匹配问题", "Unmatched questions";
    um_title: "未匹配问题", "Unmatched questions";
    um_hint: "机器人没有答上来（或访客认为没帮助）的问题，按相似度分组。可以把问题加为已有知识的相似问法，或新建一条知识，机器人立即生效。", "Questions the bot could not answer (or the visitor found unhelpful), grouped by similarity. Add one to an existing item as a similar phrasing, or make a new item; the bot learns it at once.";
    um_empty: "暂时没有未匹配的问题。", "No unmatched questions right now.";
    um_js_reason_no_match: "未匹配", "No match";
    um_js_reason_unhelpful: "回答没帮助", "Unhelpful answer";
    um_js_attach_to: "加为相似问法到", "Add as a phrasing of";
    um_js_choose_item: "选择知识", "Choose an item";
    um_js_attach: "加为相似问法", "Add as phrasing";
    um_js_create: "新建知识", "New item";
    um_js_create_submit: "创建", "Create";
    um_js_dismiss: "忽略", "Dismiss";
    um_js_category: "分类", "Category";
    um_js_choose_category: "选择分类", "Choose a category";
    um_js_question: "标准问题", "Standard question";
    um_js_answer: "答案", "Answer";
    um_js_attached: "已加为相似问法", "Added as a phrasing";
    um_js_created: "已新建知识", "Item created";
    um_js_dismissed: "已忽略", "Dismissed";

    // Customers (客户). Keys starting with crm_js_ are also handed to customers.js.
    nav_customers: "客户", "Customers";
    crm_title: "客户管理", "Customers";
    crm_template: "客户模板", "Template";
    crm_all_templates: "全部模板", "All templates";
    crm_export: "导出客户 CSV", "Export customers (CSV)";
    crm_board_export: "导出看板 CSV", "Export board (CSV)";
    crm_board: "数据看板", "Data board";
    crm_total: "客户总数", "Customers";
    crm_pool_size: "公海客户", "In the public pool";
    crm_chart_funnel: "客户状态漏斗", "Status funnel";
    crm_chart_follow_up: "跟进计划", "Follow-up plan";
    crm_chart_sources: "客户来源", "Sources";
    crm_chart_departments: "部门分布", "By department";
    crm_import: "导入客户", "Import customers";
    crm_import_hint: "UTF-8 编码的 CSV，第一行为列名：姓名、电话、邮箱、标签（分号分隔）、备注、状态，以及模板字段。电话或邮箱与已有客户相同的行不会重复导入，会列入报告。", "UTF-8 CSV whose first line names the columns: name, phone, email, tags (separated by ;), notes, status, and the template's fields. Rows whose phone or e-mail a customer already has are not imported again; the report lists them.";
    crm_import_file: "CSV 文件", "CSV file";
    crm_import_start: "开始导入", "Import";
    crm_import_report: "下载重复与错误报告", "Download the duplicate and error report";
    crm_no_templates: "还没有客户模板，请先由管理员创建。", "There is no customer template yet; an administrator creates one first.";
    crm_pool: "公海", "Public pool";
    crm_pool_hint: "无人负责的客户。领取后才显示完整号码（除非角色可查看公海号码）。", "Customers nobody owns. Full numbers show once claimed (unless your role may view pool numbers).";
    crm_pool_empty: "公海里没有客户。", "The pool is empty.";
    crm_claim: "领取", "Claim";
    crm_mine: "我的客户", "My customers";
    crm_mine_empty: "你还没有客户。", "You have no customers yet.";
    crm_name: "姓名", "Name";
    crm_phone: "电话", "Phone";
    crm_status: "状态", "Status";
    crm_next_follow_up: "下次跟进", "Next follow-up";
    crm_js_claim_failed: "领取失败：{msg}", "Could not claim: {msg}";
    crm_js_import_running: "正在导入… 已处理 {processed} / {total} 行", "Importing… {processed} of {total} rows done";
    crm_js_import_done: "导入完成：共 {total} 行，新增 {created}，重复 {duplicates}，错误 {errors}。", "Done: {total} rows, {created} created, {duplicates} duplicates, {errors} with errors.";
    crm_js_import_failed: "导入失败：{msg}", "The import failed: {msg}";

    // Multi-turn flows (多轮对话). Keys starting with flows_js_ are also handed to flows.js.
    nav_flows: "多轮对话", "Flows";
    flows_title: "多轮对话流程", "Multi-turn flows";
    flows_hint: "流程是一张 JSON 图：询问槽位、调用 HTTP 接口、条件分支、模板回答、转人工、结束。访客说出触发语，或命中关联了流程的知识条目时开始。", "A flow is a JSON graph: ask for slots, call an HTTP API, branch on conditions, answer from templates, hand off to a human, end. It starts when a visitor says a trigger phrase or matches a knowledge item linked to it.";
    flows_new: "新建流程", "New flow";
    flows_empty: "还没有流程。", "There are no flows yet.";
    flows_name: "名称", "Name";
    flows_triggers: "触发语", "Trigger phrases";
    flows_enabled: "启用", "Enabled";
    flows_edit: "编辑", "Edit";
    flows_editor: "编辑流程", "Edit flow";
    flows_definition: "流程定义（JSON）", "Definition (JSON)";
    flows_validate: "校验", "Validate";
    flows_console: "测试台", "Test console";
    flows_console_hint: "用真实引擎逐步运行编辑器中的流程（含 HTTP 调用），不保存任何对话。", "Runs the flow in the editor step by step on the real engine (HTTP calls included); no conversation is stored.";
    flows_console_input: "以访客身份输入", "Type as the visitor";
    flows_console_send: "发送", "Send";
    flows_console_start: "开始 / 重新开始", "Start / restart";
    flows_console_state: "当前状态", "Current state";
    flows_js_valid: "流程有效。", "The flow is valid.";
    flows_js_invalid: "发现 {n} 个问题：", "{n} problems found:";
    flows_js_saved: "已保存。", "Saved.";
    flows_js_failed: "操作失败：{msg}", "That failed: {msg}";
    flows_js_bad_json: "不是合法的 JSON：{msg}", "Not valid JSON: {msg}";
    flows_js_confirm_delete: "确定删除这个流程吗？", "Delete this flow?";
    flows_js_http_failed: "失败（{msg}）", "failed ({msg})";
    flows_js_handoff: "转人工，槽位：{slots}", "Hand-off with slots: {slots}";
    flows_js_finished: "流程结束。", "The flow has ended.";
    flows_js_save_first: "请先保存流程再测试。", "Save the flow before testing it.";
    flows_js_start_first: "请先点击“开始”。", "Press Start first.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_exists_in_both_languages() {
        let zh = ZH.entries();
        let en = EN.entries();
        assert_eq!(zh.len(), en.len());
        for ((k, z), (k2, e)) in zh.iter().zip(en.iter()) {
            assert_eq!(k, k2);
            assert!(!z.trim().is_empty(), "zh-CN text for {k} is empty");
            assert!(!e.trim().is_empty(), "English text for {k} is empty");
        }
    }

    #[test]
    fn placeholders_match_between_languages() {
        for ((k, z), (_, e)) in ZH.entries().iter().zip(EN.entries().iter()) {
            for ph in ["{until}", "{secs}", "{name}", "{perm}"] {
                assert_eq!(z.contains(ph), e.contains(ph), "placeholder {ph} in {k}");
            }
        }
    }

    #[test]
    fn chinese_strings_are_chinese() {
        // A zh-CN entry identical to the English one is almost always a
        // copy-paste slip; the few legitimate ones are listed.
        let same_ok = ["nav_tokens", "tokens_title", "ip_address"];
        for ((k, z), (_, e)) in ZH.entries().iter().zip(EN.entries().iter()) {
            if !same_ok.contains(k) {
                assert_ne!(z, e, "{k} is not translated");
            }
        }
    }

    #[test]
    fn accept_language_negotiation() {
        assert_eq!(from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::Zh);
        assert_eq!(from_accept_language("zh-TW"), Lang::Zh);
        assert_eq!(from_accept_language("en-US,en;q=0.9,zh;q=0.8"), Lang::En);
        assert_eq!(from_accept_language("fr-FR,zh;q=0.5"), Lang::Zh);
        assert_eq!(from_accept_language("fr-FR,de"), Lang::En);
        assert_eq!(from_accept_language(""), Lang::En);
        assert_eq!(from_accept_language("en;q=0.2, ZH;q=0.7"), Lang::Zh);
        assert_eq!(from_accept_language("zh;q=0, en"), Lang::En);
        assert_eq!(from_accept_language("zhx"), Lang::En);
    }

    #[test]
    fn cookie_beats_user_setting_beats_browser() {
        assert_eq!(negotiate(Some("en"), Some("zh-CN"), Some("zh")), Lang::En);
        assert_eq!(negotiate(None, Some("zh-CN"), Some("en")), Lang::Zh);
        assert_eq!(negotiate(Some("garbage"), None, Some("zh-CN")), Lang::Zh);
        assert_eq!(negotiate(None, None, None), Lang::En);
    }
}
