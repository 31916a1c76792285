@protected
Feature: Protected endpoints require a valid access token
  The profile's protected endpoint (the resource collection in the classic
  dialect, /api/v1/users/ in the simplejwt one) answers only to
  "Authorization: Bearer <access token>". Everything else is a 401 with a
  Bearer challenge, and a refused token never locks the account out: the real
  access token keeps working afterwards.

  Background:
    Given I have obtained a token pair

  @must @rule:AUTH-1
  Scenario: A valid access token is accepted
    Given I authenticate with "Bearer ${access}"
    When I GET the protected endpoint
    Then the status is 200
    And the body is a JSON array

  @must @rule:AUTH-2
  Scenario Outline: <case> is refused as not authenticated
    Given I authenticate with "<header>"
    When I GET the protected endpoint
    Then the status is 401
    And the response is a Bearer challenge
    And the body is '{"detail": "Authentication credentials were not provided."}'

    Examples:
      | case                          | header                     |
      | No Authorization header       | (none)                     |
      | An empty Authorization header | (empty)                    |
      | The Token scheme              | Token ${access}            |
      | The JWT scheme                | JWT ${access}              |
      | The Basic scheme              | Basic ${basic_credentials} |
      | A raw token without a scheme  | ${access}                  |

  @info @rule:AUTH-10
  Scenario: A lower-case "bearer" scheme is implementation-defined
    Given I authenticate with "bearer ${access}"
    When I GET the protected endpoint
    Then the status is 200 or 401
    And I note the response

  @must @rule:AUTH-3
  Scenario Outline: A Bearer header with <case> is refused
    Given I authenticate with "<header>"
    When I GET the protected endpoint
    Then the status is 401
    And the body is '{"detail": "Authorization header must contain two space-delimited values", "code": "bad_authorization_header"}'

    Examples:
      | case           | header                  |
      | no token       | Bearer                  |
      | two tokens     | Bearer ${access} extra  |

  @must @rule:AUTH-4
  Scenario Outline: <case> is refused as an invalid token
    Given I authenticate with "Bearer <token>"
    When I GET the protected endpoint
    Then the status is 401
    And the response is a Bearer challenge
    And the body is '{"detail": "Given token not valid for any token type", "code": "token_not_valid", "...": "..."}'
    And ${access} is still accepted by the protected endpoint

    Examples:
      | case                                    | token                          |
      | Garbage                                 | not-a-token                    |
      | A refresh token                         | ${refresh}                     |
      | An access token signed with another key | ${access:other-key}            |
      | An access token with alg none           | ${access:alg-none}             |
      | An access token with a tampered payload | ${access:tampered}             |
      | An access token with a stretched expiry | ${access:tampered-exp}         |
      | An access token without its signature   | ${access:no-signature}         |
      | An access token with a truncated signature | ${access:truncated-signature} |

  @must @simplejwt @rule:AUTH-4
  Scenario Outline: simplejwt explains why <case> is refused
    Given I authenticate with "Bearer <token>"
    When I GET the protected endpoint
    Then the status is 401
    And the body is '{"detail": "Given token not valid for any token type", "code": "token_not_valid", "messages": [{"token_class": "AccessToken", "token_type": "access", "message": "<message>"}]}'

    Examples:
      | case              | token               | message              |
      | garbage           | not-a-token         | Token is invalid     |
      | a refresh token   | ${refresh}          | Token has wrong type |
      | another key       | ${access:other-key} | Token is invalid     |
