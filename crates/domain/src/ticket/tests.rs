use super::*;
use serde_json::json;

fn set(xs: &[&str]) -> FlowTargets {
    FlowTargets::Only(xs.iter().map(|s| s.to_string()).collect())
}

fn scope(xs: &[&str]) -> Option<Vec<String>> {
    Some(xs.iter().map(|s| s.to_string()).collect())
}

/// The flow scopes of the operator's groups (`None`: no scope set).
type Scopes = Vec<Option<Vec<String>>>;

/// SPEC §3, one row per case of its sentences. Skill groups A, B, C, D exist;
/// each row gives the flow scope of every group the operator belongs to.
#[test]
fn flow_scope_follows_spec_section_3() {
    let rows: Vec<(&str, Scopes, FlowTargets)> = vec![
        (
            "the operator belongs to no skill group → every skill group",
            vec![],
            FlowTargets::Any,
        ),
        (
            "the operator's only group has no scope set → every skill group",
            vec![None],
            FlowTargets::Any,
        ),
        (
            "any of the operator's groups has no scope set (one of two) → every skill group",
            vec![scope(&["B"]), None],
            FlowTargets::Any,
        ),
        (
            "any of the operator's groups has no scope set (none of two) → every skill group",
            vec![None, None],
            FlowTargets::Any,
        ),
        (
            "one group with a scope → only that scope",
            vec![scope(&["B", "C"])],
            set(&["B", "C"]),
        ),
        (
            "every group has a scope → the union of the scopes",
            vec![scope(&["B"]), scope(&["C"])],
            set(&["B", "C"]),
        ),
        (
            "overlapping scopes → their union, once each",
            vec![scope(&["B", "C"]), scope(&["C", "D"])],
            set(&["B", "C", "D"]),
        ),
        (
            "a scope set but empty → nowhere from that group alone",
            vec![scope(&[])],
            set(&[]),
        ),
        (
            "an empty scope and a non-empty one → the union, i.e. the non-empty one",
            vec![scope(&[]), scope(&["D"])],
            set(&["D"]),
        ),
    ];
    for (case, groups, want) in rows {
        assert_eq!(flow_targets(&groups), want, "{case}");
    }
    // What `allows` answers for the sets above.
    assert!(FlowTargets::Any.allows("A"));
    assert!(set(&["B"]).allows("B"));
    assert!(!set(&["B"]).allows("A"));
    assert!(!set(&[]).allows("A"));
}

fn form() -> Vec<TicketFieldDef> {
    serde_json::from_value(json!([
        {"key": "order_no", "label": "订单号", "kind": "text", "required": true},
        {"key": "detail", "label": "问题描述", "kind": "rich_text", "required": true},
        {"key": "amount", "label": "金额", "kind": "number"},
        {"key": "when", "label": "日期", "kind": "date"},
        {"key": "reason", "label": "原因", "kind": "select", "options": ["质量", "物流"]},
        {"key": "product", "label": "产品", "kind": "cascade", "cascade": [
            {"label": "手机", "children": [{"label": "旗舰"}]}]},
        {"key": "photos", "label": "照片", "kind": "attachment"}
    ]))
    .unwrap()
}

#[test]
fn ticket_values_use_the_crm_checks_and_report_everything() {
    let ok = validate_values(
        &form(),
        json!({"order_no": " A1 ", "detail": "第一行\n第二行", "amount": 12.5, "when": "2026-01-31",
               "reason": "质量", "product": ["手机", "旗舰"],
               "photos": ["0190a3b2-0000-7000-8000-000000000001"]})
        .as_object()
        .unwrap(),
    )
    .unwrap();
    assert_eq!(ok["order_no"], "A1");
    assert_eq!(ok["detail"], "第一行\n第二行");
    assert_eq!(
        ok["photos"],
        json!(["0190a3b2-0000-7000-8000-000000000001"])
    );

    let errs = validate_values(
        &form(),
        json!({"amount": "lots", "when": "2026-02-30", "reason": "天气", "product": ["电脑"],
               "photos": ["not-an-id"], "colour": "red"})
        .as_object()
        .unwrap(),
    )
    .unwrap_err();
    let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
    for want in [
        ("fields.order_no", "required"),
        ("fields.detail", "required"),
        ("fields.amount", "not_a_number"),
        ("fields.when", "invalid_date"),
        ("fields.reason", "not_an_option"),
        ("fields.product", "invalid_cascade"),
        ("fields.photos", "invalid_attachment"),
        ("fields.colour", "unknown_field"),
    ] {
        assert!(got.contains(&want), "{want:?} missing from {got:?}");
    }
}

#[test]
fn forms_are_checked_like_customer_templates() {
    assert!(validate_form(&form()).is_ok());
    let bad: Vec<TicketFieldDef> = serde_json::from_value(json!([
        {"key": "X", "label": "x", "kind": "rich_text"},
        {"key": "a", "label": "a", "kind": "attachment", "options": ["no"]}
    ]))
    .unwrap();
    let codes: Vec<&str> = validate_form(&bad)
        .unwrap_err()
        .iter()
        .map(|e| e.code)
        .collect();
    assert_eq!(codes, ["invalid_key", "unexpected_options"]);
}

#[test]
fn workflows_need_one_initial_and_a_final_status() {
    assert!(validate_workflow(&Workflow::standard(true)).is_ok());
    let w: Workflow = serde_json::from_value(json!({
        "statuses": [
            {"key": "a", "label": "A", "initial": true},
            {"key": "b", "label": "B", "initial": true},
            {"key": "a", "label": "A2"}
        ],
        "transitions": [
            {"from": "a", "to": "z", "label": "go"},
            {"from": "a", "to": "a", "label": "stay"},
            {"from": "a", "to": "b", "label": "x"},
            {"from": "a", "to": "b", "label": "y"}
        ]
    }))
    .unwrap();
    let codes: Vec<&str> = validate_workflow(&w)
        .unwrap_err()
        .iter()
        .map(|e| e.code)
        .collect();
    for c in [
        "duplicate_key",
        "one_initial_status",
        "no_final_status",
        "unknown_status",
        "same_status",
        "duplicate_transition",
    ] {
        assert!(codes.contains(&c), "{c} missing from {codes:?}");
    }
}

#[test]
fn transitions_are_checked_against_workflow_and_actor() {
    let mut w = Workflow::standard(false);
    w.transitions[3].roles = vec!["lead-role".into()];
    w.transitions[3].skill_groups = vec!["g-qa".into()];
    let nobody = Actor::default();
    assert!(check_transition(&w, "new", "in_progress", &nobody).is_ok());
    assert_eq!(
        check_transition(&w, "new", "closed", &nobody),
        Err(TransitionRefused::NotInWorkflow {
            from: "new".into(),
            to: "closed".into()
        })
    );
    assert!(matches!(
        check_transition(&w, "resolved", "closed", &nobody),
        Err(TransitionRefused::NotPermitted { .. })
    ));
    let lead = Actor {
        role_id: Some("lead-role"),
        skill_groups: &[],
    };
    assert!(check_transition(&w, "resolved", "closed", &lead).is_ok());
    let qa = ["g-x".to_string(), "g-qa".to_string()];
    let member = Actor {
        role_id: Some("agent-role"),
        skill_groups: &qa,
    };
    assert!(check_transition(&w, "resolved", "closed", &member).is_ok());
}

#[test]
fn priorities_round_trip() {
    for p in TicketPriority::ALL {
        assert_eq!(TicketPriority::parse(p.key()), Some(p));
    }
    assert_eq!(TicketPriority::parse("asap"), None);
}
