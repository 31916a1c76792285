@crud @writes
Feature: Writes to resources: PUT and PATCH bodies, reads after writes, ids
  PUT and PATCH take their bodies as POST does: both encodings, 415 for other
  media types, the JSON parse error, CharField cleaning, and an id or unknown
  fields ignored, never stored or echoed. Every read after a successful write
  shows it: the item, the list, and the result of a later PATCH. The list
  holds every resource exactly once, and an id is never given out twice.

  Background:
    Given I have obtained a token pair
    And I authenticate with "Bearer ${access}"
    And I have created a resource

  @must @rule:RES-8
  Scenario Outline: <method> takes a form-encoded body
    When I <method> my resource with the form '<form>'
    Then the status is 200
    And the body is my resource as '<fields>'
    And my resource reads back as '<fields>'

    Examples:
      | method | form                                 | fields                                            |
      | PUT    | field1=put-form-1&field2=put-form-2  | {"field1": "put-form-1", "field2": "put-form-2"}  |
      | PATCH  | field2=patch-form                    | {"field1": "one", "field2": "patch-form"}         |

  @must @rule:RES-8
  Scenario Outline: <method> with a text/plain body is a 415 and changes nothing
    When I <method> my resource with the body 'field1=x&field2=y' typed "text/plain"
    Then the status is 415
    And the body is '{"detail": "Unsupported media type \"text/plain\" in request."}'
    And my resource is unchanged

    Examples:
      | method |
      | PUT    |
      | PATCH  |

  @must @rule:RES-8
  Scenario Outline: <method> with malformed JSON is a 400 JSON parse error and changes nothing
    When I <method> my resource with the body '{"field1": "x",' typed "application/json"
    Then the status is 400
    And the body is '{"detail": "JSON parse error - *"}'
    And my resource is unchanged

    Examples:
      | method |
      | PUT    |
      | PATCH  |

  @must @rule:RES-8
  Scenario Outline: <method> cleans values as a CharField cleans them
    When I <method> my resource with the JSON '{"field1": "  padded\t", "field2": 42}'
    Then the status is 200
    And the body is my resource as '{"field1": "padded", "field2": "42"}'
    And my resource reads back as '{"field1": "padded", "field2": "42"}'

    Examples:
      | method |
      | PUT    |
      | PATCH  |

  @must @rule:RES-8
  Scenario Outline: <method> with a value that is not a string is a 400 and changes nothing
    When I <method> my resource with the JSON '{"field1": <value>, "field2": "ok"}'
    Then the status is 400
    And the body is '{"field1": ["<message>"]}'
    And my resource is unchanged

    Examples:
      | method | value  | message                     |
      | PUT    | true   | Not a valid string.         |
      | PATCH  | {}     | Not a valid string.         |
      | PATCH  | null   | This field may not be null. |
      | PUT    | "   "  | This field may not be blank. |

  @must @rule:RES-3
  Scenario Outline: <method> ignores an id and unknown fields, and never echoes them
    When I <method> my resource with the JSON '{"id": 987654, "field1": "a", "field2": "b", "extra": "z"}'
    Then the status is 200
    And the body is my resource as '{"field1": "a", "field2": "b"}'
    And my resource reads back as '{"field1": "a", "field2": "b"}'
    And the collection lists my resource

    Examples:
      | method |
      | PUT    |
      | PATCH  |

  @must @rule:RES-11
  Scenario Outline: After <method>, the item and the list show the new values
    When I <method> my resource with the JSON '<body>'
    Then the status is 200
    And my resource reads back as '<fields>'
    And the collection lists my resource

    Examples:
      | method | body                                          | fields                                        |
      | PUT    | {"field1": "listed-1", "field2": "listed-2"}  | {"field1": "listed-1", "field2": "listed-2"}  |
      | PATCH  | {"field1": "listed-3"}                        | {"field1": "listed-3", "field2": "two"}       |

  @must @rule:RES-11
  Scenario: A PATCH after a PUT builds on what the PUT stored
    When I PUT my resource with the JSON '{"field1": "put-1", "field2": "put-2"}'
    Then the status is 200
    When I PATCH my resource with the JSON '{"field2": "patch-2"}'
    Then the status is 200
    And the body is my resource as '{"field1": "put-1", "field2": "patch-2"}'
    And my resource reads back as '{"field1": "put-1", "field2": "patch-2"}'
    And the collection lists my resource

  @must @rule:RES-4
  Scenario: The list holds every resource exactly once
    Given I have created 12 resources
    Then the collection lists all of them
    And the collection lists my resource

  @must @rule:RES-12 @ids
  Scenario: The id of a deleted resource is never given to a new one
    Given I have deleted my resource
    When I POST the collection with the JSON '{"field1": "after", "field2": "delete"}'
    Then the status is 201
    And the body's id is not my resource's
    And my resource is gone

  @must @rule:HTTP-4
  Scenario: A create typed "application/json; charset=utf-8" is read as JSON
    When I POST the collection with the body '{"field1": "typed-1", "field2": "typed-2"}' typed "application/json; charset=utf-8"
    Then the status is 201
    And I keep it as my resource
    And my resource reads back as '{"field1": "typed-1", "field2": "typed-2"}'

  @must @rule:HTTP-8
  Scenario: POST on my resource is a 405 whose Allow lists every method of an item
    When I POST my resource with the JSON '{"field1": "a", "field2": "b"}'
    Then the status is 405
    And the header "Allow" lists GET, PUT, PATCH, DELETE
