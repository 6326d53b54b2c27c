//! The acceptance test of the bot (issue 5): on the demo tenant, a visitor on the widget asks
//! the bot a question and gets the answer, asks for a human, and the agent sees the bot's
//! transcript (marked as the bot's) in the workbench, with suggested answers. Chromium is
//! driven through the DevTools protocol; screenshots go to `target/screenshots/bot-*.png`.

use crate::browser_chat::{host_page, in_widget, wait_until};
use kefu_app::demo::DEMO_PASSWORD;
use kefu_testkit::browser::Browser;
use kefu_testkit::{spawn_app, Client, Db};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitor_asks_the_demo_bot_then_a_human_who_sees_the_transcript() {
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let demo = app.app.seed_demo().await.expect("demo seed");
    let Some(mut visitor) = Browser::launch().await.expect("chromium") else {
        return;
    };
    let Some(mut agent) = Browser::launch().await.expect("chromium") else {
        return;
    };
    // agent1 (售前咨询, the demo channel's group) is receiving.
    let admin = Client::login(&app.base, "demo", "admin", DEMO_PASSWORD)
        .await
        .expect("admin signs in");
    let statuses = admin.get("/api/v1/reception-statuses").await.body;
    let online = statuses
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["can_receive"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let agent1 = Client::login(&app.base, "demo", "agent1", DEMO_PASSWORD)
        .await
        .expect("agent1 signs in");
    let me = agent1.get("/api/v1/me").await.body["user"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    agent1
        .put(
            &format!("/api/v1/users/{me}/status"),
            json!({"status_id": online}),
        )
        .await;

    agent.goto(&format!("{}/login", app.base)).await.unwrap();
    agent.fill("#tenant", "demo").await.unwrap();
    agent.fill("#username", "agent1").await.unwrap();
    agent.fill("#password", DEMO_PASSWORD).await.unwrap();
    agent
        .click_and_wait_for_navigation("#login-submit")
        .await
        .unwrap();
    agent
        .goto(&format!("{}/workbench", app.base))
        .await
        .unwrap();
    wait_until(
        &mut agent,
        "workbench socket",
        "document.querySelector('#wb-connection')?.dataset.state === 'online'",
    )
    .await;

    // The visitor opens the widget: the bot greets and answers.
    let page = host_page(&app.base, &demo.channel_key).await;
    visitor.goto(&page).await.unwrap();
    wait_until(
        &mut visitor,
        "widget loaded",
        "!!document.querySelector('kefu-widget')?.shadowRoot?.getElementById('kefu-launcher')",
    )
    .await;
    visitor
        .eval(&in_widget(
            "r.getElementById('kefu-launcher').click(); return true;",
        ))
        .await
        .unwrap();
    wait_until(
        &mut visitor,
        "widget connected",
        "window.__kefuWidget && window.__kefuWidget.state().connected === true",
    )
    .await;
    let say = |t: &str| {
        in_widget(&format!("const i = r.getElementById('kefu-input'); i.value = '{t}'; i.dispatchEvent(new Event('input')); r.getElementById('kefu-send').click(); return true;"))
    };
    visitor.eval(&say("我想退货，怎么申请？")).await.unwrap();
    wait_until(
        &mut visitor,
        "the bot's answer",
        &in_widget("return r.getElementById('kefu-messages').innerText.includes('7 天内可申请无理由退货');"),
    )
    .await;
    // The answer has helpful/unhelpful buttons.
    let buttons = visitor
        .eval(&in_widget(
            "return Array.from(r.querySelectorAll('#kefu-messages .btns button')).map(b => b.textContent).join('|');",
        ))
        .await
        .unwrap();
    assert!(
        buttons.as_str().unwrap_or("").contains("有帮助"),
        "{buttons}"
    );
    visitor
        .screenshot("bot-1-visitor-gets-answer")
        .await
        .unwrap();

    // Nothing reached the agent yet; the visitor asks for a human.
    let listed = agent
        .eval("!!document.querySelector('#wb-conversations [data-conversation]')")
        .await
        .unwrap();
    assert_eq!(listed, json!(false), "the bot served alone so far");
    visitor.eval(&say("转人工")).await.unwrap();
    wait_until(
        &mut agent,
        "conversation handed over",
        "!!document.querySelector('#wb-conversations [data-conversation]')",
    )
    .await;
    agent
        .eval("document.querySelector('#wb-conversations [data-conversation]').click(); true")
        .await
        .unwrap();
    // The agent sees the whole bot transcript, marked as the bot's.
    wait_until(
        &mut agent,
        "bot transcript in the workbench",
        "(() => { const t = document.querySelector('#wb-messages').innerText; return t.includes('我想退货，怎么申请') && t.includes('7 天内可申请无理由退货') && t.includes('转人工') && document.querySelectorAll('#wb-messages .wb-from-bot .wb-bot-label').length >= 2; })()",
    )
    .await;
    // Agent assist offers the returns answer for the visitor's last question.
    wait_until(
        &mut agent,
        "suggested answers",
        "!document.querySelector('#wb-assist').hidden && document.querySelector('#wb-assist-list').innerText.length > 0",
    )
    .await;
    agent
        .screenshot("bot-2-agent-sees-transcript")
        .await
        .unwrap();
    // One click puts a suggestion in the input box to edit, another sends one.
    agent
        .eval("document.querySelector('#wb-assist-list .wb-assist-edit').click(); true")
        .await
        .unwrap();
    let input = agent
        .eval("document.querySelector('#wb-input').value")
        .await
        .unwrap();
    assert!(!input.as_str().unwrap_or("").is_empty());
    agent
        .eval("document.querySelector('#wb-assist-list .wb-assist-send').click(); true")
        .await
        .unwrap();
    wait_until(
        &mut visitor,
        "the agent's reply in the widget",
        &in_widget("return r.getElementById('kefu-messages').innerText.split('7 天内可申请无理由退货').length > 2 || r.getElementById('kefu-messages').innerText.split('「我的订单」').length > 2;"),
    )
    .await;
    visitor
        .screenshot("bot-3-visitor-served-by-agent")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
}
