"""Feature views, the genre taxonomy, artist labels and splits: a snapshot → what models learn from.

Everything is built from ONE published snapshot (attached read-only) and written into the live
warehouse through the single :class:`warehouse.Writer`, keyed by ``snapshot_id``.
"""

from ._artist_type import FEATURES as ARTIST_TYPE_FEATURES
from ._artist_type import artist_type_onehot, artist_types
from ._build import (
    BuildReport,
    TaxonomyBuild,
    build_all,
    build_labels,
    build_taxonomy,
    read_artist_genres,
    read_hierarchy,
)
from ._errors import FeaturesError
from ._feature_values import feature_tables, feature_values
from ._fma import GenreHierarchy, read_hierarchy_file
from ._graph_labels import PREFIX as GRAPH_PREFIX
from ._graph_labels import LabelGraph, graph_block, label_graph
from ._graph_labels import feature_names as graph_feature_names
from ._label_summary import LabelSummary, label_summary
from ._labels import label_frame, multi_hot, prevalence_gaps, stratified_split
from ._materialize import ViewBuild, build_views
from ._name_cues import FEATURES as NAME_CUE_FEATURES
from ._name_cues import artist_names, name_cues
from ._plots import taxonomy_tree_figure, write_dendrogram, write_taxonomy_tree
from ._registry import FeatureView, get_view, list_views
from ._snapshot_source import artist_column, snapshot_connection
from ._synthetic import write_synthetic_catalog
from ._levels import KScan
from ._taxonomy import Family, GenreTaxonomy, TaxonomyError
from ._taxonomy_store import (
    TaxonomyDiff,
    TaxonomyVersion,
    dendrogram_data,
    diff_versions,
    group_names,
    latest_version,
    load_taxonomy,
    load_version,
    newest_versions,
    tag_map,
    taxonomy_json,
)
from ._text_release import (
    RELEASE_FEATURES,
    TEXT_FEATURES,
    artist_release_features,
    artist_text_features,
    artist_titles,
)
from ._training import TrainingData, UnlabeledData, training_data, unlabeled_data

__all__ = [
    "ARTIST_TYPE_FEATURES",
    "BuildReport",
    "Family",
    "FeatureView",
    "FeaturesError",
    "GRAPH_PREFIX",
    "GenreHierarchy",
    "GenreTaxonomy",
    "KScan",
    "LabelGraph",
    "LabelSummary",
    "NAME_CUE_FEATURES",
    "RELEASE_FEATURES",
    "TEXT_FEATURES",
    "TaxonomyBuild",
    "TaxonomyDiff",
    "TaxonomyError",
    "TaxonomyVersion",
    "TrainingData",
    "UnlabeledData",
    "ViewBuild",
    "artist_column",
    "artist_names",
    "artist_release_features",
    "artist_text_features",
    "artist_titles",
    "artist_type_onehot",
    "artist_types",
    "build_all",
    "build_labels",
    "build_taxonomy",
    "build_views",
    "dendrogram_data",
    "diff_versions",
    "feature_tables",
    "feature_values",
    "get_view",
    "graph_block",
    "graph_feature_names",
    "group_names",
    "label_frame",
    "label_graph",
    "label_summary",
    "latest_version",
    "list_views",
    "load_taxonomy",
    "load_version",
    "multi_hot",
    "name_cues",
    "newest_versions",
    "prevalence_gaps",
    "read_artist_genres",
    "read_hierarchy",
    "read_hierarchy_file",
    "snapshot_connection",
    "stratified_split",
    "tag_map",
    "taxonomy_json",
    "taxonomy_tree_figure",
    "training_data",
    "unlabeled_data",
    "write_dendrogram",
    "write_synthetic_catalog",
    "write_taxonomy_tree",
]
