//! 抢单 (broadcast pick-up) pools as the workbench sees them. A broadcast
//! group's waiting chats are not handed out by the engine: every member who
//! could take one now (receiving, with room) is shown them and the first to
//! `accept` wins. Routing compares the pools before and after each step and
//! names the agents whose pick-up list changed; those lists are pushed again.

use super::TenantRouting;
use kefu_routing::{AgentId, GroupId, ItemId, Media};
use std::collections::BTreeSet;

/// Per broadcast group: the waiting items in service order and the agents
/// who may pick them up now.
pub(crate) type PoolView = Vec<(GroupId, Vec<ItemId>, BTreeSet<AgentId>)>;

impl TenantRouting {
    pub(crate) fn pool_view(&self) -> PoolView {
        self.pools
            .iter()
            .map(|g| {
                let items = self
                    .engine
                    .queued_items(*g, Media::Chat)
                    .into_iter()
                    .map(|(i, _)| i)
                    .collect();
                let agents = self
                    .engine
                    .available_agents(*g, Media::Chat)
                    .into_iter()
                    .collect();
                (*g, items, agents)
            })
            .collect()
    }

    /// Agents (our ids) whose pick-up list differs between two views: everyone
    /// eligible before or after in a group whose pool changed, and whoever
    /// became or stopped being eligible in one that did not.
    pub(crate) fn pool_changes(&self, before: &PoolView, after: &PoolView) -> Vec<String> {
        let mut changed: BTreeSet<AgentId> = BTreeSet::new();
        let empty = BTreeSet::new();
        for (g, items, agents) in after {
            let (old_items, old_agents) = before
                .iter()
                .find(|(b, _, _)| b == g)
                .map(|(_, i, a)| (i.as_slice(), a))
                .unwrap_or((&[], &empty));
            if old_items != items.as_slice() {
                if !items.is_empty() || !old_items.is_empty() {
                    changed.extend(old_agents.union(agents));
                }
            } else if !items.is_empty() {
                changed.extend(old_agents.symmetric_difference(agents));
            }
        }
        changed
            .into_iter()
            .filter_map(|a| self.agents.get(&a.0).cloned())
            .collect()
    }

    /// The conversations (our ids) `agent` may pick up now, oldest first
    /// within each group, each once.
    pub(crate) fn pickable_by(&self, agent: AgentId) -> Vec<(String, Option<String>)> {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        for g in &self.pools {
            if !self
                .engine
                .available_agents(*g, Media::Chat)
                .contains(&agent)
            {
                continue;
            }
            for (item, _) in self.engine.queued_items(*g, Media::Chat) {
                if let Some(c) = self.items.get(&item.0) {
                    if !out.iter().any(|(x, _)| x == c) {
                        out.push((c.clone(), self.group_uuid.get(&g.0).cloned()));
                    }
                }
            }
        }
        out
    }
}

impl crate::App {
    /// Read the tenant's routing state, if it is built.
    pub(crate) fn with_routing<R>(
        &self,
        scope: &kefu_store::TenantScope,
        f: impl FnOnce(&TenantRouting) -> R,
    ) -> Option<R> {
        let tenants = self
            .routing
            .tenants
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let tr = tenants.get(scope.tenant_id().as_str())?;
        Some(f(tr))
    }

    /// The current pick-up pool version (see `RoutingService::pool_version`).
    pub(crate) fn pool_version(&self) -> u64 {
        self.routing
            .pool_version
            .load(std::sync::atomic::Ordering::SeqCst)
    }
}
