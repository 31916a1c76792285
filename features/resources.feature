@crud
Feature: Protected resources: create, read, update, delete
  The resource collection (classic /api/resource/) holds objects with two
  string fields, validated the way DRF's CharField does: required, not
  blank, not null, at most 255 characters, surrounding whitespace trimmed,
  numbers coerced to strings, booleans, objects and arrays refused. The id is
  the server's, opaque to clients. A write that got a 2xx is visible to every
  later read, and concurrent writes lose nothing. Each scenario works on
  resources it created itself and deletes them afterwards. Profiles without a
  resource collection skip this feature.

  Background:
    Given I have obtained a token pair
    And I authenticate with "Bearer ${access}"

  # "I have created a resource" creates {"field1": "one", "field2": "two"}.

  @must @rule:RES-1 @rule:HTTP-1
  Scenario Outline: Creating a resource from <encoding> returns it with an id
    When I POST the collection with <body>
    Then the status is 201
    And the body is '{"id": "$id", "field1": "alpha", "field2": "beta"}'
    And I keep it as my resource
    And my resource reads back as '{"field1": "alpha", "field2": "beta"}'
    And the collection lists my resource

    Examples:
      | encoding | body                                          |
      | JSON     | the JSON '{"field1": "alpha", "field2": "beta"}' |
      | a form   | the form 'field1=alpha&field2=beta'            |

  @must @rule:RES-3
  Scenario: The id in a request body and unknown fields are ignored
    When I POST the collection with the JSON '{"id": 987654321, "field1": "a", "field2": "b", "extra": "z"}'
    Then the status is 201
    And the body is '{"id": "$id", "field1": "a", "field2": "b"}'
    And I keep it as my resource
    And my resource's id is not 987654321

  @must @rule:RES-2
  Scenario Outline: Field values are cleaned the way DRF's CharField cleans them: <case>
    When I POST the collection with the JSON '<sent>'
    Then the status is 201
    And the body is '{"id": "$id", <stored>}'
    And I keep it as my resource
    And my resource reads back as '{<stored>}'

    Examples:
      | case                        | sent                                          | stored                                 |
      | whitespace trimmed          | {"field1": "  a  ", "field2": "\\tb\\n"}    | "field1": "a", "field2": "b"           |
      | numbers coerced to strings  | {"field1": 123, "field2": 4.5}                | "field1": "123", "field2": "4.5"       |
      | big integers kept exactly   | {"field1": 18446744073709551616, "field2": -99999999999999999999999} | "field1": "18446744073709551616", "field2": "-99999999999999999999999" |
      | exponents as Python writes them | {"field1": 1e-05, "field2": 1e+16}        | "field1": "1e-05", "field2": "1e+16"   |
      | unicode kept                | {"field1": "héllo ☃", "field2": "\\u00e9"}    | "field1": "héllo ☃", "field2": "é"     |
      | 255 characters accepted     | {"field1": "${255 x a}", "field2": "${255 x é}"} | "field1": "${255 x a}", "field2": "${255 x é}" |

  @must @rule:RES-2
  Scenario Outline: Creating with <case> is a 400 naming each bad field
    When I POST the collection with <body>
    Then the status is 400
    And the body is '<errors>'

    Examples:
      | case                     | body                                                  | errors                                                                                     |
      | field1 missing           | the JSON '{"field2": "b"}'                            | {"field1": ["This field is required."]}                                                    |
      | field2 missing           | the JSON '{"field1": "a"}'                            | {"field2": ["This field is required."]}                                                    |
      | an empty object          | the JSON '{}'                                         | {"field1": ["This field is required."], "field2": ["This field is required."]}             |
      | an empty body            | an empty body                                         | {"field1": ["This field is required."], "field2": ["This field is required."]}             |
      | blank fields             | the JSON '{"field1": "", "field2": ""}'               | {"field1": ["This field may not be blank."], "field2": ["This field may not be blank."]}   |
      | a whitespace-only field  | the JSON '{"field1": "   ", "field2": "b"}'           | {"field1": ["This field may not be blank."]}                                               |
      | null fields              | the JSON '{"field1": null, "field2": null}'           | {"field1": ["This field may not be null."], "field2": ["This field may not be null."]}     |
      | booleans                 | the JSON '{"field1": true, "field2": false}'          | {"field1": ["Not a valid string."], "field2": ["Not a valid string."]}                     |
      | an object and an array   | the JSON '{"field1": {"a": 1}, "field2": [1]}'        | {"field1": ["Not a valid string."], "field2": ["Not a valid string."]}                     |
      | 256 characters           | the JSON '{"field1": "${256 x a}", "field2": "b"}'    | {"field1": ["Ensure this field has no more than 255 characters."]}                         |
      | a form missing field2    | the form 'field1=a'                                   | {"field2": ["This field is required."]}                                                    |

  @must @rule:RES-5
  Scenario: Reading a resource returns it
    Given I have created a resource
    When I GET my resource
    Then the status is 200
    And the body is my resource as '{"field1": "one", "field2": "two"}'

  @must @rule:RES-4
  Scenario: Listing returns a JSON array that includes my resource
    Given I have created a resource
    When I GET the collection
    Then the status is 200
    And the body is a JSON array
    And the collection lists my resource

  @must @rule:RES-6
  Scenario: PUT replaces both fields and the change is visible
    Given I have created a resource
    When I PUT my resource with the JSON '{"field1": "new_value1", "field2": "new_value2"}'
    Then the status is 200
    And the body is my resource as '{"field1": "new_value1", "field2": "new_value2"}'
    And my resource reads back as '{"field1": "new_value1", "field2": "new_value2"}'

  @must @rule:RES-6
  Scenario Outline: PUT with <case> is a 400 and changes nothing
    Given I have created a resource
    When I PUT my resource with the JSON '<sent>'
    Then the status is 400
    And the body is '<errors>'
    And my resource is unchanged

    Examples:
      | case            | sent                             | errors                                                                         |
      | field2 missing  | {"field1": "only1"}              | {"field2": ["This field is required."]}                                        |
      | an empty object | {}                               | {"field1": ["This field is required."], "field2": ["This field is required."]} |
      | a blank field   | {"field1": "", "field2": "b"}    | {"field1": ["This field may not be blank."]}                                   |

  @must @rule:RES-8
  Scenario: PUT ignores an id in the body
    Given I have created a resource
    When I PUT my resource with the JSON '{"id": 424242, "field1": "p1", "field2": "p2"}'
    Then the status is 200
    And the body is my resource as '{"field1": "p1", "field2": "p2"}'
    And my resource reads back as '{"field1": "p1", "field2": "p2"}'

  @must @rule:RES-7
  Scenario: PATCH changes only the fields it names
    Given I have created a resource
    When I PATCH my resource with the JSON '{"field1": "patched"}'
    Then the status is 200
    And the body is my resource as '{"field1": "patched", "field2": "two"}'
    And my resource reads back as '{"field1": "patched", "field2": "two"}'

  @must @rule:RES-7
  Scenario: PATCH with an empty object changes nothing
    Given I have created a resource
    When I PATCH my resource with the JSON '{}'
    Then the status is 200
    And the body is my resource as '{"field1": "one", "field2": "two"}'
    And my resource is unchanged

  @must @rule:RES-7
  Scenario Outline: PATCH with <case> is a 400 and changes nothing
    Given I have created a resource
    When I PATCH my resource with the JSON '<sent>'
    Then the status is 400
    And the body is '<errors>'
    And my resource is unchanged

    Examples:
      | case            | sent                    | errors                                          |
      | a blank field   | {"field2": ""}          | {"field2": ["This field may not be blank."]}    |
      | a null field    | {"field1": null}        | {"field1": ["This field may not be null."]}     |
      | a boolean field | {"field1": false}       | {"field1": ["Not a valid string."]}             |
      | 256 characters  | {"field2": "${256 x b}"} | {"field2": ["Ensure this field has no more than 255 characters."]} |

  @must @rule:RES-9
  Scenario: DELETE answers 204 with an empty body and the resource is gone
    Given I have created a resource
    When I DELETE my resource
    Then the status is 204
    And the body is empty
    And my resource is gone
    And the collection does not list my resource

  @must @rule:RES-10
  Scenario Outline: <method> on a deleted resource is a 404
    Given I have created a resource
    And I have deleted my resource
    When I <method> my resource <with>
    Then the status is 404
    And the body is '<body>'

    @classic
    Examples:
      | method | with                                            | body                     |
      | GET    |                                                 | {"detail": "Not found."} |
      | PUT    |  with the JSON '{"field1": "a", "field2": "b"}' | {"detail": "Not found."} |
      | PATCH  |  with the JSON '{"field1": "a"}'                | {"detail": "Not found."} |
      | DELETE |                                                 | {"detail": "Not found."} |

    @simplejwt
    Examples:
      | method | with                                            | body            |
      | GET    |                                                 | {"detail": "*"} |
      | PUT    |  with the JSON '{"field1": "a", "field2": "b"}' | {"detail": "*"} |
      | PATCH  |  with the JSON '{"field1": "a"}'                | {"detail": "*"} |
      | DELETE |                                                 | {"detail": "*"} |

  @must @rule:RES-10
  Scenario: An id the server never issued is a 404
    When I GET the path "${collection}no-such-id/"
    Then the status is 404

  @must @rule:AUTH-6
  Scenario Outline: Without a token, <method> <target> is a 401 even <why>
    Given I send no Authorization header
    When I <method> <target> <with>
    Then the status is 401
    And the response is a Bearer challenge
    And the body is '{"detail": "Authentication credentials were not provided."}'

    Examples:
      | method | target             | with                         | why                      |
      | GET    | the collection     |                              | for a plain read         |
      | POST   | the collection     |  with the JSON '{}'          | with an invalid body     |
      | GET    | a deleted resource |                              | for an unknown id        |
      | PUT    | a deleted resource |  with the JSON '{}'          | for an unknown id        |
      | PATCH  | a deleted resource |  with the JSON '{"field1": ""}' | for an unknown id     |
      | DELETE | a deleted resource |                              | for an unknown id        |

  @must @rule:RES-13
  Scenario: Concurrent creates are all stored
    When I create 40 resources concurrently
    Then every create answered 201 with a distinct id
    And the collection lists all of them
    And each of them reads back as created

  @must @rule:RES-13
  Scenario: Concurrent updates of different resources are all stored
    Given I have created 20 resources
    When I update each of them concurrently
    Then every update answered 200
    And each of them reads back as updated
