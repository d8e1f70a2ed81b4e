"""The network drawn as a graph: roles as colours, edges from base to tip."""

from __future__ import annotations

import networkx as nx
from matplotlib.figure import Figure

from memspec.models import NODE_WEIGHTS, WEIGHT_UNITS, Spec

ROLE_COLOURS = {"input": "tab:blue", "output": "tab:orange", "hidden": "lightgrey"}


def _value_label(kind: str, value: float | None) -> str:
    unit, scale = WEIGHT_UNITS[kind]
    return f"{value / scale:.4g} {unit}" if value is not None else ""


def graph_figure(spec: Spec, trained: list[str]) -> Figure:
    """Nodes coloured by role; each edge an arrow base -> tip with its name.

    Weights of the kinds in `trained` are written next to their node or edge.
    """
    graph = nx.MultiDiGraph()
    for node in spec.nodes:
        graph.add_node(node.name, role=node.role)
    for edge in spec.edges:
        graph.add_edge(edge.base, edge.tip, name=edge.name)
    layout = nx.kamada_kawai_layout(nx.Graph(graph))

    # Names go inside the circles; trained values beside them, where a
    # number of any length fits.
    values = {
        node.name: "\n".join(
            _value_label(kind, getattr(node, kind))
            for kind in trained
            if kind in NODE_WEIGHTS
        )
        for node in spec.nodes
    }
    edge_labels = {}
    for edge in spec.edges:
        lines = [edge.name]
        lines += [
            _value_label(kind, getattr(edge, kind) or getattr(spec.device, kind))
            for kind in trained
            if kind not in NODE_WEIGHTS
        ]
        edge_labels[(edge.base, edge.tip, 0)] = "\n".join(lines)

    fig = Figure(figsize=(9.0, 7.5), layout="constrained")
    ax = fig.add_subplot()
    nx.draw_networkx_edges(
        graph, layout, ax=ax, arrows=True, arrowsize=18, node_size=1400, width=1.4
    )
    nx.draw_networkx_nodes(
        graph,
        layout,
        ax=ax,
        node_size=1400,
        node_color=[ROLE_COLOURS[graph.nodes[n]["role"]] for n in graph.nodes],
        edgecolors="black",
    )
    nx.draw_networkx_labels(graph, layout, ax=ax, font_size=8)
    for name, text in values.items():
        if text:
            ax.annotate(
                text,
                layout[name],
                xytext=(0, -24),
                textcoords="offset points",
                ha="center",
                va="top",
                fontsize=7,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
            )
    nx.draw_networkx_edge_labels(
        graph, layout, edge_labels, ax=ax, font_size=7, label_pos=0.5
    )
    for role, colour in ROLE_COLOURS.items():
        ax.scatter([], [], s=120, color=colour, edgecolors="black", label=role)
    ax.margins(0.12)
    # Outside the axes, so it never covers a node.
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="node role")
    ax.set_title(f"{spec.name}: edges point from base to tip")
    ax.set_axis_off()
    return fig
