use super::*;
use serde_json::json;

fn flow(v: serde_json::Value) -> Flow {
    parse(&v).unwrap_or_else(|e| panic!("flow should be valid: {e:?}"))
}

fn issues(v: serde_json::Value) -> Vec<Issue> {
    let f: Flow = serde_json::from_value(v).expect("shape");
    validate(&f).expect_err("flow should be invalid")
}

fn texts(s: &Step) -> Vec<String> {
    s.outputs
        .iter()
        .filter_map(|o| match o {
            Output::Say { text } => Some(text.clone()),
            Output::Handoff { text, .. } => text.clone(),
        })
        .collect()
}

fn order() -> Flow {
    let v: serde_json::Value = serde_json::from_str(ORDER_LOOKUP_EXAMPLE).expect("example json");
    flow(v)
}

fn say(s: &str) -> Input {
    Input::Text(s.into())
}

fn reply(status: u16, body: serde_json::Value) -> Input {
    Input::Http(HttpResult::Response {
        status,
        body: body.to_string(),
    })
}

#[test]
fn validation_lists_every_problem_with_its_place() {
    let got = issues(json!({
        "start": "nope",
        "nodes": [
            {"id": "a", "type": "ask", "slot": "no", "prompt": "order {{missing}}?",
             "check": {"type": "regex", "pattern": "([0-9"}, "next": "ghost"},
            {"id": "a", "type": "end"},
            {"id": "orphan", "type": "answer", "text": "hi {{no"},
            {"id": "h", "type": "http", "url": "ftp://x", "timeout_ms": 10,
             "next": "a", "on_error": ""},
            {"id": "b", "type": "branch", "cases": [
                {"when": {"slot": "no", "op": "gt", "value": "many"}, "next": "a"},
                {"when": {"slot": "no", "op": "matches", "value": "(("}, "next": "a"}],
             "default": "a"}
        ]
    }));
    let codes: Vec<(&str, &str)> = got.iter().map(|i| (i.path.as_str(), i.code)).collect();
    for want in [
        ("nodes[1].id", "duplicate_id"),
        ("start", "unknown_node"),
        ("nodes[0].prompt", "unknown_slot"),
        ("nodes[0].check.pattern", "bad_regex"),
        ("nodes[0].next", "unknown_node"),
        ("nodes[2].text", "bad_template"),
        ("nodes[3].url", "invalid_value"),
        ("nodes[3].timeout_ms", "invalid_value"),
        ("nodes[3].on_error", "missing_next"),
        ("nodes[4].cases[0].when.value", "invalid_value"),
        ("nodes[4].cases[1].when.value", "bad_regex"),
    ] {
        assert!(codes.contains(&want), "missing {want:?} in {codes:?}");
    }
}

#[test]
fn missing_start_and_unreachable_nodes_are_reported() {
    let got = issues(json!({"nodes": [{"id": "x", "type": "end"}]}));
    assert_eq!(got[0].code, "missing_start");
    let got = issues(json!({
        "start": "a",
        "nodes": [
            {"id": "a", "type": "answer", "text": "hello"},
            {"id": "lost", "type": "end", "text": "never said"}
        ]
    }));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].path.as_str(), got[0].code),
        ("nodes[1]", "unreachable_node")
    );
    assert!(got[0].message.contains("lost"));
}

#[test]
fn a_shape_error_is_one_invalid_json_issue() {
    let e = parse(&json!({"start": "a", "nodes": [{"id": "a", "type": "teleport"}]})).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].code, "invalid_json");
    assert!(e[0].message.contains("teleport"), "{}", e[0].message);
}

#[test]
fn the_shipped_example_is_valid() {
    let f = order();
    assert_eq!(f.start, "ask_no");
    assert!(f.triggers.iter().any(|t| t == "查询订单"));
}

#[test]
fn bad_answers_reprompt_then_give_up_to_on_fail() {
    let f = order();
    let s = start(&f).unwrap();
    assert_eq!(
        texts(&s),
        vec!["请提供您的订单号（8 位数字，例如 20260001）。"]
    );
    assert_eq!(s.state.phase, Phase::WaitingText);
    let s = step(&f, s.state, say("不知道")).unwrap();
    assert_eq!(
        texts(&s),
        vec!["订单号是 8 位数字，例如 20260001，请再输入一次。"]
    );
    assert_eq!(s.state.retries, 1);
    let s = step(&f, s.state, say("123")).unwrap();
    assert_eq!(s.state.retries, 2);
    // The third wrong answer exceeds max_retries = 2: on to "no_number" (a hand-off).
    let s = step(&f, s.state, say("123456789")).unwrap();
    assert_eq!(s.state.phase, Phase::Finished);
    assert!(
        matches!(&s.outputs[0], Output::Handoff { text: Some(t), .. } if t.contains("没能识别"))
    );
}

#[test]
fn a_good_answer_inside_a_sentence_fills_the_slot_and_asks_for_http() {
    let f = order();
    let s = start(&f).unwrap();
    let s = step(&f, s.state, say("我的订单号是２０２６０００１，谢谢")).unwrap();
    assert_eq!(s.state.slots["order_no"], "20260001");
    assert_eq!(s.state.phase, Phase::WaitingHttp);
    let req = s.effect.clone().expect("an http effect");
    assert_eq!(req.method, "GET");
    assert_eq!(req.url, "/demo/api/orders/20260001");
    assert_eq!(req.timeout_ms, 3000);
    assert_eq!(pending_request(&f, &s.state), Some(req));
    let s = step(
        &f,
        s.state,
        reply(
            200,
            json!({"status": "已发货", "eta": "2026-11-23", "extra": null}),
        ),
    )
    .unwrap();
    assert_eq!(
        texts(&s),
        vec!["订单 20260001 当前状态：已发货，预计送达：2026-11-23。"]
    );
    assert_eq!(s.state.phase, Phase::Finished);
    assert_eq!(step(&f, s.state, say("again")), Err(StepError::Finished));
}

#[test]
fn not_found_branches_on_the_status_and_offers_a_human() {
    let f = order();
    let s = start(&f).unwrap();
    let s = step(&f, s.state, say("20269999")).unwrap();
    let s = step(&f, s.state, reply(404, json!({"error": "not_found"}))).unwrap();
    assert_eq!(
        texts(&s),
        vec!["没有找到订单 20269999。需要为您转人工客服吗？（是/否）"]
    );
    assert_eq!(s.state.slots["http_status"], "404");
    let no = step(&f, s.state.clone(), say("不需要")).unwrap();
    assert_eq!(texts(&no), vec!["好的，如有其他问题请随时告诉我。"]);
    let yes = step(&f, s.state, say("是的")).unwrap();
    match &yes.outputs[0] {
        Output::Handoff { slots, .. } => {
            assert_eq!(slots["order_no"], "20269999");
            assert_eq!(slots["want_human"], "是");
        }
        other => panic!("expected a hand-off, got {other:?}"),
    }
}

#[test]
fn timeouts_and_server_errors_take_the_error_branch() {
    let f = order();
    let s = start(&f).unwrap();
    let s = step(&f, s.state, say("20260001")).unwrap();
    let failed = step(
        &f,
        s.state.clone(),
        Input::Http(HttpResult::Failed {
            reason: "timed out".into(),
        }),
    )
    .unwrap();
    assert!(
        matches!(&failed.outputs[0], Output::Handoff { text: Some(t), .. } if t.contains("暂时无法访问"))
    );
    let broken = step(
        &f,
        s.state.clone(),
        Input::Http(HttpResult::Response {
            status: 200,
            body: "<html>".into(),
        }),
    )
    .unwrap();
    assert!(matches!(&broken.outputs[0], Output::Handoff { .. }));
    // Text while the flow waits for the HTTP result is refused, not guessed at.
    assert_eq!(
        step(&f, s.state, say("hello")),
        Err(StepError::UnexpectedInput)
    );
}

#[test]
fn branches_compare_numbers_match_and_check_existence() {
    let f = flow(json!({
        "start": "amount",
        "nodes": [
            {"id": "amount", "type": "ask", "slot": "amount", "prompt": "How much?",
             "check": {"type": "number"}, "next": "b"},
            {"id": "b", "type": "branch", "cases": [
                {"when": {"slot": "amount", "op": "gte", "value": 1000}, "next": "big"},
                {"when": {"slot": "amount", "op": "matches", "value": "^0"}, "next": "zero"},
                {"when": {"slot": "amount", "op": "exists"}, "next": "small"}
             ], "default": "small"},
            {"id": "big", "type": "handoff", "text": "{{amount}} needs a person"},
            {"id": "zero", "type": "end", "text": "nothing to do"},
            {"id": "small", "type": "answer", "text": "refunding {{amount}}"}
        ]
    }));
    let run = |answer: &str| {
        let s = start(&f).unwrap();
        texts(&step(&f, s.state, say(answer)).unwrap())
    };
    assert_eq!(run("1,500 元"), vec!["1500 needs a person"]);
    assert_eq!(run("0"), vec!["nothing to do"]);
    assert_eq!(run("about 20 yuan"), vec!["refunding 20"]);
    // Two numbers are ambiguous: asked again.
    assert_eq!(run("3 or 4"), vec!["How much?"]);
}

#[test]
fn slot_checks_normalise_what_visitors_type() {
    use SlotCheck::*;
    assert_eq!(
        check_slot(&Phone, "+86 138-1234-5678"),
        Some("13812345678".into())
    );
    assert_eq!(
        check_slot(&Phone, "电话：010-6552 9988"),
        Some("01065529988".into())
    );
    assert_eq!(check_slot(&Phone, "12"), None);
    assert_eq!(
        check_slot(&Email, "我的邮箱 Li.Lei@Example.COM 谢谢"),
        Some("li.lei@example.com".into())
    );
    assert_eq!(check_slot(&Email, "li@lei"), None);
    assert_eq!(check_slot(&Date, "2026年2月9日"), Some("2026-02-09".into()));
    assert_eq!(check_slot(&Date, "2024/2/29"), Some("2024-02-29".into()));
    assert_eq!(check_slot(&Date, "2026-02-29"), None);
    assert_eq!(check_slot(&Text, "   "), None);
    let choice = Choice {
        values: vec!["红色".into(), "Blue".into()],
    };
    assert_eq!(check_slot(&choice, "blue"), Some("Blue".into()));
    assert_eq!(check_slot(&choice, "我要红色的"), Some("红色".into()));
    assert_eq!(check_slot(&choice, "红色和blue"), None);
}

#[test]
fn templates_escape_for_urls_and_json_bodies() {
    let f = flow(json!({
        "start": "q",
        "nodes": [
            {"id": "q", "type": "ask", "slot": "q", "prompt": "?", "next": "h"},
            {"id": "h", "type": "http", "method": "post", "url": "http://api.test/s?q={{q}}",
             "body": "{\"q\": \"{{q}}\"}", "headers": {"X-Q": "{{q}}"},
             "save": {"first": "items.0.name", "count": "total"},
             "next": "a", "on_error": "e"},
            {"id": "a", "type": "answer", "text": "{{first}} ({{count}})"},
            {"id": "e", "type": "end"}
        ]
    }));
    let s = start(&f).unwrap();
    let s = step(&f, s.state, say("a&b \"c\"/订")).unwrap();
    let req = s.effect.clone().unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.url, "http://api.test/s?q=a%26b%20%22c%22%2F%E8%AE%A2");
    let body: serde_json::Value = serde_json::from_str(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["q"], "a&b \"c\"/订");
    assert_eq!(
        req.headers,
        vec![("X-Q".to_string(), "a&b \"c\"/订".to_string())]
    );
    let s = step(
        &f,
        s.state,
        reply(201, json!({"items": [{"name": "Tea"}], "total": 7})),
    )
    .unwrap();
    assert_eq!(texts(&s), vec!["Tea (7)"]);
}

#[test]
fn a_loop_without_waiting_stops_with_an_error() {
    let f = flow(json!({
        "start": "a",
        "nodes": [
            {"id": "a", "type": "answer", "text": "again", "next": "b"},
            {"id": "b", "type": "branch", "cases": [], "default": "a"}
        ]
    }));
    assert_eq!(start(&f), Err(StepError::Loop));
}

#[test]
fn an_edited_flow_that_lost_the_node_says_so() {
    let f = order();
    let s = start(&f).unwrap();
    let mut edited = f.clone();
    edited.nodes.retain(|n| n.id != "ask_no");
    assert_eq!(
        step(&edited, s.state, say("20260001")),
        Err(StepError::UnknownNode("ask_no".into()))
    );
}

#[test]
fn the_same_inputs_give_the_same_steps() {
    let f = order();
    let a = step(&f, start(&f).unwrap().state, say("20260002")).unwrap();
    let b = step(&f, start(&f).unwrap().state, say("20260002")).unwrap();
    assert_eq!(a, b);
    let json = serde_json::to_string(&a.state).unwrap();
    let back: FlowState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a.state);
}

#[test]
fn intents_match_trigger_phrases_and_paraphrases_only() {
    let intents = Intents::build(&[
        ("order".into(), order().triggers),
        (
            "refund".into(),
            vec!["申请退款".into(), "I want a refund".into()],
        ),
    ]);
    for (text, want) in [
        ("查询订单", Some("order")),
        ("你好，帮我查询订单", Some("order")),
        ("我的订单到哪了？", Some("order")),
        ("Where is my order?", Some("order")),
        ("我想申请退款", Some("refund")),
        ("你好", None),
        ("你们几点下班", None),
        // Other questions about orders belong to the knowledge base, not this flow.
        ("怎么修改订单地址", None),
        ("订单可以开发票吗", None),
        ("how do I cancel my order", None),
        ("", None),
    ] {
        assert_eq!(
            intents.detect(text).map(|m| m.flow_id),
            want.map(String::from),
            "{text}"
        );
    }
    assert!(Intents::build(&[]).detect("查询订单").is_none());
}

/// Not a check, a measurement (no timed assertion): run with
/// `cargo test -p kefu-bot --lib flow::tests::measure -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_steps_validation_and_intents() {
    let f = order();
    let v: serde_json::Value = serde_json::from_str(ORDER_LOOKUP_EXAMPLE).unwrap();
    let n = 20_000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        let s = start(&f).unwrap();
        let s = step(&f, s.state, say("我的订单号是 20260001")).unwrap();
        let s = step(
            &f,
            s.state,
            reply(200, json!({"status": "已发货", "eta": "2026-11-23"})),
        )
        .unwrap();
        assert_eq!(s.state.phase, Phase::Finished);
    }
    let per_flow = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let t = std::time::Instant::now();
    for _ in 0..n {
        parse(&v).unwrap();
    }
    let per_parse = t.elapsed().as_secs_f64() * 1e6 / n as f64;
    let flows: Vec<(String, Vec<String>)> = (0..100)
        .map(|i| {
            (
                format!("f{i}"),
                vec![
                    format!("查询第{i}号业务"),
                    format!("business number {i} please"),
                ],
            )
        })
        .chain([("order".to_string(), f.triggers.clone())])
        .collect();
    let intents = Intents::build(&flows);
    let t = std::time::Instant::now();
    for _ in 0..2_000 {
        assert!(intents.detect("你好，我想问一下运费怎么算").is_none());
    }
    let per_intent = t.elapsed().as_secs_f64() * 1e6 / 2_000.0;
    println!(
        "order flow start + 2 steps: {per_flow:.1} µs; parse + validate: {per_parse:.1} µs; \
         intent miss over 101 flows: {per_intent:.1} µs"
    );
}
