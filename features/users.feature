@users
Feature: The users endpoint, and no password anywhere
  Document 004's users endpoint lists the accounts as JSON objects with an id
  and the login field. No response of any endpoint carries a password or a
  password hash (a serializer with fields = "__all__" sends the hash): the
  suite checks every response for the account's password and for the common
  hash formats; here the users endpoint, where the hash usually leaks, is
  read on purpose.

  Background:
    Given I have obtained a token pair
    And I authenticate with "Bearer ${access}"

  @must @rule:USR-1
  Scenario: The users endpoint lists objects with an id and the login field
    When I GET the users endpoint
    Then the status is 200
    And the body is a JSON array of objects each matching '{"id": "$id", "${login_field}": "*", "...": "..."}'

  @must @rule:USR-2
  Scenario: The users endpoint carries no password and no password hash
    When I GET the users endpoint
    Then the status is 200
    And the body is a JSON array

  # A detail view is where a second serializer (fields = "__all__") or a lookup that ignores the
  # id (the requester's own record for every id) slips in; the list's object is the reference.
  @must @rule:USR-3
  Scenario: Each listed user's own endpoint answers the object the list has for it
    When I GET the users endpoint
    Then the status is 200
    And each listed user's own endpoint answers the object the list has for it
