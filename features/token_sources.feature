@sources
Feature: Where a token is read from, and what is checked first
  A token authenticates only from the Authorization header: in the query
  string, a cookie or a form field it is no credential at all. Two
  Authorization header fields are refused, as Django refuses them (it joins
  them into one invalid value). A request whose token is present but invalid
  is refused before its body is validated or its id looked up, exactly as a
  request without one.

  Background:
    Given I have obtained a token pair

  @must @rule:AUTH-8
  Scenario Outline: A token in the query parameter "<param>" authenticates nothing
    Given I send no Authorization header
    When I GET the path "${protected_path}?<param>=${access}"
    Then the status is 401

    Examples:
      | param        |
      | access_token |
      | token        |
      | jwt          |

  @must @rule:AUTH-8
  Scenario Outline: A token in the cookie "<cookie>" authenticates nothing
    Given I send no Authorization header
    And I also send the header "Cookie: <cookie>=${access}"
    When I GET the protected endpoint
    Then the status is 401
    And the body is '{"detail": "Authentication credentials were not provided."}'

    Examples:
      | cookie       |
      | access_token |
      | token        |
      | jwt          |

  @must @rule:AUTH-8 @crud
  Scenario: A token in a form field authenticates nothing
    Given I send no Authorization header
    When I POST the collection with the form 'field1=a&field2=b&access_token=${access}'
    Then the status is 401
    And the body is '{"detail": "Authentication credentials were not provided."}'

  @must @rule:AUTH-9
  Scenario: Two Authorization header fields are refused
    Given I authenticate with "Bearer ${access}"
    And I also send the header "Authorization: Bearer ${access}"
    When I GET the protected endpoint
    Then the status is 401

  @must @rule:AUTH-6 @crud
  Scenario Outline: With <token>, <method> <target> is a 401 even <why>
    Given I authenticate with "Bearer <value>"
    When I <method> <target> <with>
    Then the status is 401
    And the body is '{"detail": "*", "code": "token_not_valid", "...": "..."}'

    Examples:
      | token                 | value                        | method | target             | with                            | why                  |
      | a garbage token       | not-a-token                  | POST   | the collection     |  with the JSON '{}'             | with an invalid body |
      | a tampered token      | ${access:tampered}           | POST   | the collection     |  with the JSON '{"field1": ""}' | with an invalid body |
      | a refresh token       | ${refresh}                   | PUT    | a deleted resource |  with the JSON '{}'             | for an unknown id    |
      | a tampered token      | ${access:tampered}           | GET    | a deleted resource |                                 | for an unknown id    |
      | a token of another key | ${access:other-key}         | PATCH  | a deleted resource |  with the JSON '{"field1": ""}' | for an unknown id    |
      | a tampered token      | ${access:tampered}           | DELETE | a deleted resource |                                 | for an unknown id    |

  @must @rule:REF-3 @simplejwt @needs-key
  Scenario: An expired access token at the refresh endpoint is reported as expired, not as the wrong type
    Given the server's signing key is known
    When I refresh with ${access:expired}
    Then the status is 401
    And the body is '{"detail": "Token is expired", "code": "token_not_valid"}'
