import pytest

from poseapp.core.skeleton import COCO17, LSP14, MPII16, PRESETS, Skeleton, infer_flip_pairs, preset_for_joint_count


@pytest.mark.parametrize("skeleton", list(PRESETS.values()), ids=list(PRESETS))
def test_flip_permutation_is_an_involution_that_swaps_left_and_right(skeleton):
    perm = skeleton.flip_permutation()
    assert sorted(perm) == list(range(skeleton.num_joints))
    assert [perm[p] for p in perm] == list(range(skeleton.num_joints))
    for i, j in enumerate(perm):
        if i != j:
            assert {skeleton.side(i), skeleton.side(j)} == {"left", "right"}, (skeleton.joints[i], skeleton.joints[j])


def test_preset_sizes_and_sigmas():
    assert (LSP14.num_joints, MPII16.num_joints, COCO17.num_joints) == (14, 16, 17)
    assert COCO17.sigmas is not None and COCO17.sigmas[0] == pytest.approx(0.026)
    assert set(LSP14.groups) == {"head", "shoulder", "elbow", "wrist", "hip", "knee", "ankle"}


def test_coco_category_with_standard_names_maps_to_the_preset():
    cat = COCO17.to_coco_category(1)
    assert Skeleton.from_coco_category(cat) is COCO17


def test_custom_category_keeps_edges_and_infers_flip_pairs():
    cat = {"id": 3, "name": "mouse", "keypoints": ["nose", "left_ear", "right_ear", "tail"], "skeleton": [[1, 2], [1, 3], [1, 4]]}
    skel = Skeleton.from_coco_category(cat)
    assert skel.joints == ("nose", "left_ear", "right_ear", "tail")
    assert skel.edges == ((0, 1), (0, 2), (0, 3))
    assert skel.flip_permutation() == [0, 2, 1, 3]
    assert Skeleton.from_dict(skel.to_dict()) == skel


def test_infer_flip_pairs_finds_lsp_pairs():
    assert {frozenset(p) for p in infer_flip_pairs(LSP14.joints)} == {frozenset(p) for p in LSP14.flip_pairs}


def test_invalid_skeletons_are_refused():
    with pytest.raises(ValueError, match="outside"):
        Skeleton("bad", ("a", "b"), edges=((0, 2),))
    with pytest.raises(ValueError, match="repeats"):
        Skeleton("bad", ("a", "a"), edges=())


def test_preset_for_joint_count():
    assert preset_for_joint_count(17) is COCO17
    assert preset_for_joint_count(14) is LSP14
    assert preset_for_joint_count(5) is None
