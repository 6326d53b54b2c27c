//! 抢单 in real browsers: two agents' workbenches show a conversation waiting
//! in a broadcast skill group; one picks it up from the "待抢单" list, gets the
//! chat and answers; the other's list empties.

use crate::browser_chat::{sign_in, wait_until};
use crate::chat::{text, visitor};
use kefu_domain::BuiltinRole;
use kefu_testkit::browser::Browser;
use kefu_testkit::{spawn_app, Db};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_picks_up_a_broadcast_conversation_from_the_list() {
    let app = spawn_app(Db::Sqlite).await.expect("app");
    let t = app.tenant("grab").await;
    let group = t
        .admin
        .post(
            "/api/v1/skill-groups",
            json!({"name": "抢单组", "strategy": "broadcast"}),
        )
        .await
        .id();
    let key = t
        .admin
        .post(
            "/api/v1/channels",
            json!({"name": "商城", "skill_group_id": group}),
        )
        .await
        .body["public_key"]
        .as_str()
        .expect("channel key")
        .to_string();
    let statuses = t.admin.get("/api/v1/reception-statuses").await.body;
    let online = statuses
        .as_array()
        .and_then(|l| l.iter().find(|s| s["can_receive"] == true))
        .and_then(|s| s["id"].as_str())
        .expect("a receiving status")
        .to_string();
    for name in ["xiaomei", "dongge"] {
        let (id, c) = app.user(&t, name, BuiltinRole::Agent).await;
        t.admin
            .put(
                &format!("/api/v1/skill-groups/{group}/members/{id}"),
                json!({"level": 5}),
            )
            .await;
        c.put(
            &format!("/api/v1/users/{id}/status"),
            json!({"status_id": online}),
        )
        .await;
    }
    let Some(mut a1) = Browser::launch().await.expect("chromium") else {
        return;
    };
    let Some(mut a2) = Browser::launch().await.expect("chromium") else {
        return;
    };
    sign_in(&mut a1, &app.base, "grab", "xiaomei").await;
    sign_in(&mut a2, &app.base, "grab", "dongge").await;

    let (mut v, _) = visitor(&app, &key, None, None).await;
    v.send(text("m1", "限时抢购的券还能用吗？")).await;
    let conv = v.until(5, |f| f["type"] == "ack").await["conversation_id"]
        .as_str()
        .expect("conversation id")
        .to_string();

    // Both workbenches count it on the "待抢单" tab.
    for b in [&mut a1, &mut a2] {
        wait_until(
            b,
            "pick-up count",
            "document.getElementById('wb-pickup-count').textContent === '1'",
        )
        .await;
    }
    a1.click("#wb-pickup-tab").await.expect("pick-up tab");
    a2.click("#wb-pickup-tab").await.expect("pick-up tab");
    wait_until(
        &mut a1,
        "the question in the list",
        "document.querySelector('#wb-pickup-list .wb-preview')?.textContent === '限时抢购的券还能用吗？'",
    )
    .await;
    a1.screenshot("pickup-1-list").await.expect("screenshot");

    // One click: the conversation is hers, open, with the question in it.
    a1.click(&format!("[data-pickup='{conv}']"))
        .await
        .expect("pick up");
    wait_until(
        &mut a1,
        "the picked-up chat open",
        &format!(
            "(() => {{ const s = window.__kefuWorkbench.state(); return s.current === '{conv}' \
             && s.messages.some((m) => m.text === '限时抢购的券还能用吗？') && !document.getElementById('wb-input').disabled; }})()"
        ),
    )
    .await;
    wait_until(
        &mut a1,
        "the conversations tab shown",
        "document.getElementById('wb-conversations-tab').getAttribute('aria-selected') === 'true'",
    )
    .await;
    a1.screenshot("pickup-2-claimed").await.expect("screenshot");

    // The other agent's list empties.
    wait_until(
        &mut a2,
        "the other list emptied",
        "window.__kefuWorkbench.state().pickups.length === 0 && !document.getElementById('wb-pickup-empty').hidden \
         && document.getElementById('wb-pickup-count').textContent === ''",
    )
    .await;
    a2.screenshot("pickup-3-other-list-empty")
        .await
        .expect("screenshot");

    // She answers; the visitor reads it.
    a1.fill("#wb-input", "可以用的，下单时自动抵扣。")
        .await
        .expect("type");
    a1.click("#wb-send").await.expect("send");
    v.until(10, |f| {
        f["type"] == "event" && f["body"]["text"] == "可以用的，下单时自动抵扣。"
    })
    .await;
}
