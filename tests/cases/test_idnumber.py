"""Resident ID numbers: validation from stdnum's parts, derivation, masking, uniqueness."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms import modelform_factory
from django.utils import timezone
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumValidationError

from cases import idnumber
from cases.forms import MemberForm, MemberFormSet
from cases.models import Gender, Person
from tests.factories import PersonFactory

LANSHAN = "371302"
VALID = idnumber.make_number(LANSHAN, dt.date(1980, 1, 1), 12)  # 371302198001010123
VALID_X = "37130219800101005X"  # order 005: check digit X


def error_codes(value: str) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        idnumber.validate_id_number(value)
    return [e.code for e in exc.value.error_list]


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


def member_data(**overrides) -> dict:
    data = {
        "name": "王秀英", "id_number": VALID, "relationship": "head", "hukou_type": "rural",
        "disability_grade": "0", "disability_type": "", "health": "healthy",
        "labour_capacity": "full",
    }
    data.update(overrides)
    return data


def test_valid_number_is_accepted():
    idnumber.validate_id_number(VALID)
    recent = idnumber.make_number(LANSHAN, dt.date(2001, 5, 17), 12)
    idnumber.validate_id_number(recent)
    ric.validate(recent)  # born after 371302 existed: stdnum agrees


def test_valid_number_ending_in_x_is_accepted():
    assert idnumber.make_number(LANSHAN, dt.date(1980, 1, 1), 5) == VALID_X
    idnumber.validate_id_number(VALID_X)


def test_lower_case_x_is_normalised_and_accepted():
    lower = VALID_X.lower()
    idnumber.validate_id_number(lower)
    assert idnumber.normalize(lower) == VALID_X
    assert idnumber.normalize(" 371302 19800101 005x ") == VALID_X
    assert idnumber.normalize("371302-19800101-005x") == VALID_X


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def test_full_width_input_from_a_chinese_input_method_is_normalised():
    typed = full_width(VALID_X.lower()[:6]) + "\u3000" + full_width(VALID_X.lower()[6:])
    assert idnumber.normalize(typed) == VALID_X
    idnumber.validate_id_number(typed)
    form = MemberForm(member_data(id_number=typed))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["id_number"] == VALID_X


def test_other_unicode_digits_are_refused_not_crashed_on():
    arabic_indic = "٣" + VALID[1:]  # U+0663: isdigit() is true, NFKC keeps it
    assert error_codes(arabic_indic) == ["id_format"]


def test_wrong_checksum_is_refused_with_the_right_digit_named():
    wrong = VALID[:17] + ("4" if VALID[17] != "4" else "5")
    with pytest.raises(ValidationError) as exc:
        idnumber.validate_id_number(wrong)
    assert exc.value.error_list[0].code == "id_checksum"
    assert f"末位应为{VALID[17]}" in exc.value.messages[0]
    assert "校验码不正确" in exc.value.messages[0]


def test_impossible_birth_date_is_refused():
    feb30 = with_check_digit(LANSHAN + "19500230" + "012")
    assert error_codes(feb30) == ["id_birth_date"]
    with pytest.raises(ValidationError) as exc:
        idnumber.validate_id_number(feb30)
    assert "19500230" in exc.value.messages[0]
    assert "不是真实日期" in exc.value.messages[0]
    assert error_codes(with_check_digit(LANSHAN + "19801301" + "012")) == ["id_birth_date"]
    assert error_codes(with_check_digit(LANSHAN + "18800101" + "012")) == ["id_birth_date"]


def test_future_birth_date_is_refused_although_stdnum_accepts_it():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    number = idnumber.make_number(LANSHAN, tomorrow, 12)
    ric.validate(number)  # stdnum lets it through
    with pytest.raises(ValidationError) as exc:
        idnumber.validate_id_number(number)
    assert exc.value.error_list[0].code == "id_birth_future"
    assert "晚于今天" in exc.value.messages[0]


def test_born_today_is_accepted():
    idnumber.validate_id_number(idnumber.make_number(LANSHAN, timezone.localdate(), 12))


@pytest.mark.parametrize("value", [VALID[:17], VALID + "1", "", "3713021980"])
def test_wrong_length_is_refused_in_chinese(value):
    with pytest.raises(ValidationError) as exc:
        idnumber.validate_id_number(value)
    assert exc.value.error_list[0].code == "id_length"
    assert "应为18位" in exc.value.messages[0]
    assert f"当前为{len(value)}位" in exc.value.messages[0]


def test_letters_inside_the_number_are_refused():
    assert error_codes("37130A198001010123") == ["id_format"]
    assert error_codes("3713021980010101X3") == ["id_format"]


def test_a_1940s_lanshan_number_is_accepted_though_stdnum_rejects_it():
    """371302 was created in 1994; elderly residents hold numbers issued later with it.

    stdnum's `validate()` checks the region against the *birth* year and rejects them —
    this is why the project builds its validator from stdnum's parts.
    """
    number = idnumber.make_number(LANSHAN, dt.date(1945, 3, 1), 12)
    with pytest.raises(StdnumValidationError):
        ric.validate(number)
    idnumber.validate_id_number(number)
    assert idnumber.birth_date_of(number) == dt.date(1945, 3, 1)


@pytest.mark.parametrize("region", ["000000", "999999", "371399"])
def test_a_region_code_never_used_is_refused(region):
    number = idnumber.make_number(region, dt.date(1980, 1, 1), 12)
    assert error_codes(number) == ["id_region"]


def test_older_linyi_region_codes_are_accepted():
    # 372801: 临沂市 1983-1994, before Lanshan district existed.
    idnumber.validate_id_number(idnumber.make_number("372801", dt.date(1952, 6, 1), 12))


def test_birth_date_and_gender_are_derived_from_the_number():
    assert idnumber.birth_date_of(VALID) == dt.date(1980, 1, 1)
    assert idnumber.gender_of(VALID) == Gender.FEMALE  # order 012: even
    male = idnumber.make_number(LANSHAN, dt.date(1980, 1, 1), 13)
    assert idnumber.gender_of(male) == Gender.MALE
    assert idnumber.gender_of(VALID_X.lower()) == Gender.MALE  # order 005


@pytest.mark.django_db
def test_saving_a_person_normalises_the_number_and_fills_birth_date_and_gender():
    person = Person(name="王秀英", id_number=VALID_X.lower(), hukou_type="rural")
    person.save()
    person.refresh_from_db()
    assert person.id_number == VALID_X
    assert person.birth_date == dt.date(1980, 1, 1)
    assert person.gender == Gender.MALE


@pytest.mark.django_db
def test_person_clean_cross_checks_birth_date_and_gender():
    person = Person(name="王秀英", id_number=VALID, hukou_type="rural",
                    birth_date=dt.date(1980, 1, 2), gender=Gender.MALE)
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    errors = exc.value.message_dict
    assert errors["birth_date"] == ["出生日期与身份证号码不一致（号码中为1980年1月1日）。"]
    assert errors["gender"] == ["性别与身份证号码不一致（号码中为女）。"]


@pytest.mark.django_db
def test_person_clean_reports_a_bad_number_once_in_chinese():
    person = Person(name="王秀英", id_number=VALID[:17] + "9", hukou_type="rural",
                    birth_date=dt.date(1980, 1, 1), gender=Gender.FEMALE)
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    messages = exc.value.message_dict["id_number"]
    assert len(messages) == 1
    assert "校验码不正确" in messages[0]


@pytest.mark.django_db
def test_a_duplicate_number_is_refused_by_the_database():
    PersonFactory(id_number=VALID_X)
    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(name="另一人", id_number=VALID_X.lower(), hukou_type="rural")


@pytest.mark.django_db
def test_a_duplicate_number_gets_a_chinese_message_in_a_person_form():
    PersonFactory(id_number=VALID)
    form_class = modelform_factory(
        Person, fields=["name", "id_number", "gender", "birth_date", "hukou_type"])
    form = form_class(data={"name": "另一人", "id_number": VALID, "gender": "F",
                            "birth_date": "1980-01-01", "hukou_type": "rural"})
    assert not form.is_valid()
    assert form.errors["id_number"] == ["该身份证号码已登记，不能重复录入。"]


def test_the_same_number_twice_in_one_household_form_is_refused_in_chinese():
    data = {"m-TOTAL_FORMS": "2", "m-INITIAL_FORMS": "0"}
    for i, row in enumerate([member_data(), member_data(name="李四", relationship="spouse",
                                                         id_number=VALID.lower())]):
        data.update({f"m-{i}-{k}": v for k, v in row.items()})
    formset = MemberFormSet(data, prefix="m")
    assert not formset.is_valid()
    assert formset.non_form_errors() == [
        f"身份证号码{idnumber.mask(VALID)}在本户重复填写。"]


def test_member_form_normalises_lower_case_x():
    form = MemberForm(member_data(id_number=f" {VALID_X.lower()} "))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["id_number"] == VALID_X


def test_member_form_refuses_a_bad_number_in_chinese():
    form = MemberForm(member_data(id_number=VALID[:17] + "9"))
    assert not form.is_valid()
    assert "校验码不正确" in form.errors["id_number"][0]


def test_member_form_cross_checks_birth_date_and_gender():
    form = MemberForm(member_data(birth_date="1980-01-02", gender="M"))
    assert not form.is_valid()
    assert form.errors["birth_date"] == ["出生日期与身份证号码不一致（号码中为1980年1月1日）。"]
    assert form.errors["gender"] == ["性别与身份证号码不一致（号码中为女）。"]
    assert MemberForm(member_data(birth_date="1980-01-01", gender="F")).is_valid()


def test_masking_keeps_only_the_ends_of_an_id_number():
    assert idnumber.mask(VALID_X) == "3713**********005X"
    assert idnumber.mask(VALID_X.lower()) == "3713**********005X"
    assert idnumber.mask("") == ""
    assert idnumber.mask(None) == ""
    assert idnumber.mask("12345") == "*****"


def test_masking_a_phone_keeps_the_prefix_and_last_four_digits():
    assert idnumber.mask_phone("13812345678") == "138****5678"
    assert idnumber.mask_phone("") == ""
    assert idnumber.mask_phone(None) == ""
    assert idnumber.mask_phone("12345") == "*****"
    assert idnumber.mask_phone("0539-8123456").endswith("3456")
    assert "8123" not in idnumber.mask_phone("0539-8123456")


@pytest.mark.django_db
def test_person_exposes_masked_number_and_phone():
    person = PersonFactory(id_number=VALID_X, phone="13812345678")
    assert person.masked_id == "3713**********005X"
    assert person.masked_phone == "138****5678"
