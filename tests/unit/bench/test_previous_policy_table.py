"""The benchmark's table of this policy beside the previous one (issue 15) renders what it was given."""

from bench import previous_policy


def test_the_table_puts_both_policies_side_by_side():
    speed = {"batch_comments_per_second": 2000, "batch_comments_per_second_2_processes": 3500,
             "single_p99_ms": 1.2, "resident_memory_mb": 210.0}
    quality = {"davidson-test": {"hateful_approved_rate": 0.052, "civil_approved_rate": 0.84, "civil_rejected": 32,
                                 "auc": 0.979}}
    old_quality = {"davidson-test": {"hateful_approved_rate": 0.017, "civil_approved_rate": 0.514,
                                     "civil_rejected": 30, "auc": 0.679}}
    lines = previous_policy.markdown({"previous": {"speed": {**speed, "resident_memory_mb": None},
                                                   "quality": old_quality},
                                      "current": {"speed": speed, "quality": quality}})
    assert "| davidson-test: civil_approved_rate | 51.4% | 84.0% |" in lines
    assert "| davidson-test: auc | 0.679 | 0.979 |" in lines
    assert "| resident_memory_mb | - | 210.0 |" in lines


def test_a_previous_policy_that_could_not_run_says_why():
    lines = previous_policy.markdown({"previous": {"error": "previous policy not measured: no such commit"},
                                      "current": {"speed": {}, "quality": {}}})
    assert "previous policy not measured: no such commit" in lines
