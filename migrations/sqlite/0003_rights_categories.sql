-- The rights the Villes Lumières network defends, in the order the City of
-- Brussels lists them. Slugs match `RightsCategory` in app/src/domain/rights.rs.
INSERT INTO rights_categories (slug, position, name_en, name_fr, name_nl) VALUES
('security', 1, 'Right to security', 'Droit à la sécurité', 'Recht op veiligheid'),
('gender-equality', 2, 'Equality between women and men', 'Égalité entre les femmes et les hommes', 'Gelijkheid van vrouwen en mannen'),
('conscience-and-religion', 3, 'Freedom of conscience and religion', 'Liberté de conscience et de religion', 'Vrijheid van geweten en godsdienst'),
('assembly-and-association', 4, 'Freedom of assembly and association', 'Liberté de réunion et d''association', 'Vrijheid van vergadering en vereniging'),
('trade-union', 5, 'Freedom to form a union', 'Liberté syndicale', 'Vakbondsvrijheid'),
('culture', 6, 'Right to culture', 'Droit à la culture', 'Recht op cultuur'),
('housing-and-domicile', 7, 'Right to housing and domicile', 'Droit au logement et au domicile', 'Recht op huisvesting en woonst'),
('water-and-food', 8, 'Right to water and food', 'Droit à l''eau et à l''alimentation', 'Recht op water en voedsel'),
('sustainable-urban-development', 9, 'Sustainable urban development', 'Développement urbain durable', 'Duurzame stedelijke ontwikkeling');
