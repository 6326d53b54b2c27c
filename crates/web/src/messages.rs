//! Use-case errors in the reader's language. The app layer speaks English with
//! stable codes; here the codes and the (small, fixed) set of validation
//! messages become zh-CN or English sentences. Unknown messages fall back to the
//! English text rather than to nothing.

use crate::fmt::When;
use crate::i18n::Lang;
use kefu_app::AppError;
use kefu_domain::ValidationError;

/// The label of a form field, for messages not shown next to their input.
pub fn field_label(lang: Lang, field: &str) -> String {
    let tr = lang.tr();
    let s = match field {
        "username" => tr.username,
        "password" => tr.password,
        "current_password" => tr.current_password,
        "new_password" => tr.new_password,
        "display_name" => tr.display_name,
        "email" => tr.email,
        "role_id" => tr.role,
        "department_id" => tr.department,
        "parent_id" => tr.parent_department,
        "reception_limit" => tr.reception_limit,
        "ticket_limit" => tr.ticket_limit,
        "sip_extension" => tr.sip_extension,
        "locale" => tr.locale,
        "name" => tr.name,
        "level" => tr.level,
        "status_id" => tr.reception_status,
        "permissions" => tr.permissions,
        "sort_order" => tr.sort_order,
        "code" => tr.totp_code,
        "user_id" => tr.user,
        other => other,
    };
    s.to_string()
}

/// A validation message without its field label (it sits next to the input).
pub fn validation_text(lang: Lang, v: &ValidationError) -> String {
    if lang == Lang::En {
        return v.message.clone();
    }
    let m = v.message.as_str();
    let num_after = |prefix: &str| -> Option<String> {
        m.strip_prefix(prefix)
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_string)
    };
    if m == "must not be empty" {
        "不能为空".into()
    } else if let Some(n) = num_after("must be at most ") {
        format!("最多 {n} 个字符")
    } else if let Some(n) = num_after("must be at least ") {
        format!("至少 {n} 个字符")
    } else if let Some(range) = m.strip_prefix("must be between ") {
        format!("须在 {} 之间", range.replace(" and ", " 到 "))
    } else if m.starts_with("must be 2–64 characters") {
        "须为 2–64 位字母、数字或 . _ - @".into()
    } else if m.starts_with("must be 2–40 characters") {
        "须为 2–40 位小写字母、数字或 -".into()
    } else if m == "must be 2–8 digits" {
        "须为 2–8 位数字".into()
    } else if m == "must not contain control characters" {
        "不能包含控制字符".into()
    } else if m == "is not a valid e-mail address" {
        "不是有效的电子邮箱地址".into()
    } else if m == "is too long" {
        "太长".into()
    } else if m.starts_with("no such ") {
        "不存在，请重新选择".into()
    } else if m == "must be zh-CN or en" {
        "须为 zh-CN 或 en".into()
    } else if m == "a department cannot be inside itself" {
        "部门不能放在自己或自己的下级部门之下".into()
    } else if m == "is not your current password" {
        "与当前密码不符".into()
    } else if m == "is not your password" {
        "密码不正确".into()
    } else if m.starts_with("unknown permission") {
        "包含未知的权限".into()
    } else if m == WHOLE_NUMBER {
        "须为整数".into()
    } else if m == PASSWORDS_DIFFER {
        "两次输入的密码不一致".into()
    } else {
        v.message.clone()
    }
}

/// Messages produced by this crate's own form parsing (then translated above).
pub const WHOLE_NUMBER: &str = "must be a whole number";
pub const PASSWORDS_DIFFER: &str = "the two passwords differ";

fn resource_zh(what: &str) -> &str {
    match what {
        "user" => "用户",
        "role" => "角色",
        "department" => "部门",
        "skill group" => "技能组",
        "skill group member" => "技能组成员",
        "reception status" => "接待状态",
        "API token" => "API 令牌",
        "channel" => "渠道",
        "tenant" => "企业账户",
        _ => "记录",
    }
}

/// A whole sentence for any use-case error.
pub fn error_text(lang: Lang, e: &AppError) -> String {
    let tr = lang.tr();
    let zh = lang.is_zh();
    match e {
        AppError::NotFound(what) => {
            if zh {
                format!("{}不存在或已被删除。", resource_zh(what))
            } else {
                format!("The {what} does not exist or was deleted.")
            }
        }
        AppError::Validation(v) => format!(
            "{}{}{}",
            field_label(lang, v.field),
            lang.pick("：", ": "),
            validation_text(lang, v)
        ),
        AppError::Conflict { code, message } => match (*code, zh) {
            (_, false) => capitalise(message),
            ("already_exists", true) => "名称已被使用，请换一个名称。".into(),
            ("in_use", true) => {
                if let Some(n) = message.strip_suffix(" user(s) still hold this role") {
                    format!("仍有 {n} 位用户使用该角色，无法删除。")
                } else {
                    "该记录仍在使用中（或引用了不存在的记录），无法完成操作。".into()
                }
            }
            ("last_administrator", true) => {
                "这是最后一位启用的管理员，请先任命另一位管理员。".into()
            }
            ("totp_already_enabled", true) => "两步验证已经开启。".into(),
            ("totp_not_started", true) => "请先点击“开启两步验证”获取密钥。".into(),
            (_, true) => message.clone(),
        },
        AppError::Unauthenticated(m) if m.contains("deactivated") => {
            tr.login_deactivated.to_string()
        }
        AppError::Unauthenticated(_) => tr.login_session_ended.to_string(),
        AppError::InvalidCredentials => tr.login_bad_credentials.to_string(),
        AppError::Forbidden(p) => tr.error_forbidden_text.replace("{perm}", p.label(zh)),
        AppError::NotAllowed(m) => not_allowed_text(lang, m),
        AppError::Refused { code, message } => refused_text(lang, code, message),
        AppError::Locked { until_ms } => tr
            .login_locked
            .replace("{until}", &When::from_ms(*until_ms).text),
        AppError::RateLimited { retry_after_s } => tr
            .login_rate_limited
            .replace("{secs}", &retry_after_s.to_string()),
        AppError::TotpRequired => tr.totp_prompt.to_string(),
        AppError::InvalidTotp => tr.totp_wrong.to_string(),
        AppError::CsrfFailed => tr.error_csrf_text.to_string(),
        AppError::InvalidFields(errs) => {
            let list: Vec<String> = errs
                .iter()
                .map(|e| format!("{} ({})", e.field, e.code))
                .collect();
            format!(
                "{}{}",
                lang.pick("以下字段不符合客户模板：", "These fields do not fit the template: "),
                list.join(", ")
            )
        }
        AppError::DuplicateCustomer { .. } => lang
            .pick(
                "该客户已存在（电话或邮箱相同），请打开或合并已有客户。",
                "This customer already exists (same phone or e-mail); open or merge the existing record.",
            )
            .to_string(),
        AppError::Internal(_) => tr.error_internal_text.to_string(),
    }
}

fn not_allowed_text(lang: Lang, m: &str) -> String {
    if lang == Lang::En {
        return capitalise(m);
    }
    if m.contains("deactivate your own") {
        "不能停用自己的账户。".into()
    } else if m.contains("delete your own") {
        "不能删除自己的账户。".into()
    } else if m.contains("cannot grant the permission") {
        "不能授予您自己没有的权限。".into()
    } else if m.contains("built-in roles cannot be changed") {
        "内置角色不能修改，请新建自定义角色。".into()
    } else if m.contains("built-in roles cannot be deleted") {
        "内置角色不能删除。".into()
    } else if m.contains("signed-in user") {
        "此操作需要登录用户。".into()
    } else {
        m.to_string()
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        None => String::new(),
        Some(f) => {
            let mut out: String = f.to_uppercase().collect();
            out.push_str(c.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
    }
}

/// A rule's refusal (tickets: transitions, flow scope), in the reader's language.
fn refused_text(lang: Lang, code: &str, message: &str) -> String {
    match code {
        "transition_forbidden" => lang
            .pick(
                "工单流程规定此操作只能由指定的角色或技能组执行。",
                "The workflow reserves this step for other roles or skill groups.",
            )
            .to_string(),
        "outside_flow_scope" => lang
            .pick(
                "该技能组不在你所在技能组的工单流转范围内。",
                "That skill group is outside the ticket flow scope of your skill groups.",
            )
            .to_string(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_messages_are_translated() {
        let v = ValidationError::new("name", "must not be empty");
        assert_eq!(validation_text(Lang::Zh, &v), "不能为空");
        assert_eq!(validation_text(Lang::En, &v), "must not be empty");
        let v = ValidationError::new("reception_limit", "must be between 0 and 100");
        assert_eq!(validation_text(Lang::Zh, &v), "须在 0 到 100 之间");
        let v = ValidationError::new("password", "must be at least 8 characters");
        assert_eq!(validation_text(Lang::Zh, &v), "至少 8 个字符");
    }

    #[test]
    fn errors_read_as_sentences_in_both_languages() {
        let e = AppError::conflict("in_use", "2 user(s) still hold this role");
        assert_eq!(
            error_text(Lang::Zh, &e),
            "仍有 2 位用户使用该角色，无法删除。"
        );
        assert_eq!(error_text(Lang::En, &e), "2 user(s) still hold this role.");
        let e = AppError::Locked { until_ms: 0 };
        assert!(error_text(Lang::En, &e).contains("1970-01-01 00:00 UTC"));
        assert!(error_text(Lang::Zh, &e).contains("管理员"));
        let e = AppError::Forbidden(kefu_domain::Permission::UsersManage);
        assert!(error_text(Lang::Zh, &e).contains("管理用户"));
    }
}
