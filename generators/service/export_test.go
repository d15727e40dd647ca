package service

// TemplateNames exposes templateNames to the tests.
var TemplateNames = templateNames
