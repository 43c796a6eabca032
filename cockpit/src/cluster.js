// SPDX-License-Identifier: MIT
/* global cockpit */
// Harper's cluster as the last system information tells it (the "replication" section): this
// node (by Harper's name, cluster_status.node_name), then the other nodes in the order a
// replicated restart takes them (the daemon gives them so), each with whether Harper's
// replication to it is connected and how harper-sysopsd reaches it; and the words for a job's
// step names.
import { _, el, NONE, row, table, title } from "./dom.js";

// what the page knows of the cluster: { answered, thisName, peers: [{ name, address, url, connected }] }
// answered: Harper told its cluster_status (else the peers are the configuration's)
export function clusterOf(info) {
    const replication = (info || {}).replication || {};
    const status = replication.cluster_status;
    const peers = Array.isArray(replication.peers) ? replication.peers : [];
    return {
        answered: !!status && typeof status === "object",
        thisName: status && typeof status.node_name === "string" && status.node_name ? status.node_name : null,
        peers,
    };
}

export function thisNodeLabel(cluster) {
    return cluster.thisName ? cockpit.format(_("$0 (this node)"), cluster.thisName) : _("this node");
}

// the nodes a replicated restart takes, in order, as one sentence part:
// "127.0.0.11 (this node), then 127.0.0.12, then 127.0.0.13"
export function nodesInOrder(cluster) {
    const names = [thisNodeLabel(cluster), ...cluster.peers.filter(p => p.address !== null).map(p => p.name)];
    return names.reduce((text, name) => cockpit.format(_("$0, then $1"), text, name));
}

export function leftOut(cluster) {
    return cluster.peers.filter(p => p.address === null).map(p => p.name);
}

function reach(address) {
    if (address === null || address === undefined)
        return _("left out");
    if (address.startsWith("ssh:"))
        return cockpit.format(_("over ssh to $0"), address.slice(4));
    return cockpit.format(_("D-Bus address $0"), address);
}

function replicationState(peer) {
    if (peer.connected === true)
        return _("connected");
    if (peer.connected === false)
        return _("not connected");
    return _("not known (Harper did not answer)");
}

export function clusterPart() {
    return el("div", { class: "sysops-block", id: "cluster" }, title(_("Cluster")),
              el("div", { id: "cluster-nodes" }, el("p", { class: "sysops-muted" }, _("Not read yet."))));
}

const HEAD = [_("Node"), _("Harper's replication to it"), _("Reached by harper-sysops")];

// renderCluster(info): the nodes list from a system information answer
export function renderCluster(info) {
    const cluster = clusterOf(info);
    const box = document.getElementById("cluster-nodes");
    const part = document.getElementById("cluster");
    if (cluster.peers.length === 0) {
        part.dataset.nodes = "1";
        box.replaceChildren(el("p", { class: "sysops-muted", id: "cluster-none" }, cluster.answered
            ? _("Harper is in no cluster: only this node.")
            : _("Harper could not be asked about its cluster and no other nodes are configured: only this node.")));
        return;
    }
    part.dataset.nodes = String(cluster.peers.length + 1);
    const harper = (info || {}).harper;
    const rows = [
        row({ "data-node": cluster.thisName || "", "data-this-node": "1" }, HEAD, [
            thisNodeLabel(cluster),
            harper && harper.answered === false ? _("Harper could not be asked") : NONE,
            _("on this machine"),
        ]),
        ...cluster.peers.map(p => row({ "data-node": p.name, "data-left-out": p.address === null ? "1" : null }, HEAD,
                                      [p.name, replicationState(p), reach(p.address)])),
    ];
    box.replaceChildren(table(_("Nodes of the cluster"), HEAD, rows, { id: "cluster-table" }));
}

// a job step's internal name in words
export function stepLabel(name) {
    if (name === "harper:answering")
        return _("Harper answering");
    if (name === "harper:replication")
        return _("Replication connected again");
    if (name.startsWith("harper:restart_service:"))
        return cockpit.format(_("Harper restarts $0"), name.slice("harper:restart_service:".length));
    return name;
}
