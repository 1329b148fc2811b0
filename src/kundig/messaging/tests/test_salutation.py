import pytest

from kundig.messaging.salutation import salutation


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"salutation": "frau", "title": "Dr.", "last_name": "Weber"}, "Sehr geehrte Frau Dr. Weber"),  # noqa: E501
        ({"salutation": "herr", "first_name": "Jan", "last_name": "Schulz"}, "Sehr geehrter Herr Schulz"),  # noqa: E501
        ({"salutation": "none", "first_name": "Alex", "last_name": "Meyer"}, "Guten Tag Alex Meyer"),  # noqa: E501
        ({"salutation": "divers", "first_name": "Alex", "last_name": "Meyer"}, "Guten Tag Alex Meyer"),  # noqa: E501
        ({"salutation": "frau", "first_name": "Anna", "informal": True}, "Hallo Anna"),
        ({"salutation": "frau", "first_name": "", "last_name": "Weber", "informal": True}, "Sehr geehrte Frau Weber"),  # noqa: E501
        ({"salutation": "herr", "first_name": "Jan"}, "Guten Tag Jan"),
        ({}, "Guten Tag"),
        ({"salutation": "frau", "last_name": "Weber", "language": "en"}, "Dear Ms Weber"),  # noqa: E501
        ({"salutation": "herr", "last_name": "Schulz", "language": "en"}, "Dear Mr Schulz"),  # noqa: E501
        ({"salutation": "frau", "title": "Dr.", "last_name": "Weber", "language": "en"}, "Dear Dr. Weber"),  # noqa: E501
        ({"first_name": "Alex", "last_name": "Meyer", "language": "en"}, "Dear Alex Meyer"),  # noqa: E501
        ({"first_name": "Anna", "informal": True, "language": "en"}, "Hi Anna"),
        ({"language": "en"}, "Hello"),
        ({"salutation": "herr", "first_name": " Jan ", "last_name": "  von   Berg "}, "Sehr geehrter Herr von Berg"),  # noqa: E501
    ],
)  # fmt: skip
def test_the_greeting_fits_salutation_title_name_and_form_of_address(fields, expected):
    assert salutation(**fields) == expected
