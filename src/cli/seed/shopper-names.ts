/** First names by gender and family names, per language of the shoppers' countries (see shopper-places.ts). */
export const NAMES = {
  en: {
    male: ['James', 'John', 'Michael', 'David', 'Daniel', 'Matthew', 'Ryan', 'Ethan', 'Liam', 'Noah', 'Oliver', 'Jack', 'Tom', 'Chris', 'Luke', 'Sam'],
    female: ['Emma', 'Olivia', 'Sophia', 'Emily', 'Grace', 'Chloe', 'Hannah', 'Jessica', 'Sarah', 'Lucy', 'Amelia', 'Megan', 'Ava', 'Ella', 'Zoe', 'Kate'],
    family: ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', 'Wilson', 'Taylor', 'Clark', 'Walker', 'Wright', 'Evans', 'Green', 'Hall', 'Turner', 'Parker', 'Murphy', "O'Brien", 'Nguyen'],
  },
  de: {
    male: ['Lukas', 'Jonas', 'Leon', 'Felix', 'Maximilian', 'Paul', 'Tobias', 'Jan', 'Florian', 'Niklas', 'Sebastian', 'Moritz'],
    female: ['Anna', 'Lena', 'Laura', 'Julia', 'Lea', 'Sarah', 'Katharina', 'Sophie', 'Hannah', 'Marie', 'Johanna', 'Clara'],
    family: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Koch', 'Richter', 'Wolf', 'Krüger'],
  },
  it: {
    male: ['Marco', 'Luca', 'Alessandro', 'Matteo', 'Lorenzo', 'Andrea', 'Francesco', 'Davide', 'Simone', 'Giuseppe', 'Riccardo', 'Federico'],
    female: ['Giulia', 'Chiara', 'Francesca', 'Sara', 'Martina', 'Alessia', 'Elena', 'Valentina', 'Federica', 'Silvia', 'Giorgia', 'Sofia'],
    family: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco', 'Bruno', 'Gallo', 'Conti', 'De Luca'],
  },
  fr: {
    male: ['Lucas', 'Hugo', 'Louis', 'Thomas', 'Nicolas', 'Julien', 'Antoine', 'Maxime', 'Théo', 'Alexandre', 'Mathieu', 'Pierre'],
    female: ['Camille', 'Léa', 'Manon', 'Chloé', 'Inès', 'Sarah', 'Julie', 'Pauline', 'Émilie', 'Marion', 'Claire', 'Lucie'],
    family: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Girard'],
  },
  es: {
    male: ['Alejandro', 'Pablo', 'Daniel', 'Javier', 'Sergio', 'Carlos', 'Adrián', 'Diego', 'Jorge', 'Álvaro', 'Manuel', 'Raúl'],
    female: ['Lucía', 'María', 'Paula', 'Laura', 'Marta', 'Andrea', 'Carmen', 'Sara', 'Elena', 'Ana', 'Cristina', 'Irene'],
    family: ['García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Martín', 'Jiménez', 'Ruiz', 'Hernández', 'Díaz'],
  },
  nl: {
    male: ['Daan', 'Sem', 'Lucas', 'Milan', 'Levi', 'Thijs', 'Bram', 'Jesse', 'Ruben', 'Stijn', 'Lars', 'Tim'],
    female: ['Emma', 'Julia', 'Sophie', 'Lotte', 'Fleur', 'Sanne', 'Anouk', 'Lisa', 'Eva', 'Iris', 'Femke', 'Noor'],
    family: ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Janssen', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder'],
  },
} as const;

/**
 * Reserved names (RFC 2606 `.example`): seeded addresses look like a shop's mix of providers but
 * can never reach a real mailbox, even if a demo install is wired to an SMTP relay.
 */
export const EMAIL_DOMAINS = [['mail.example', 40], ['inbox.example', 20], ['post.example', 15], ['webmail.example', 15], ['me.example', 10]] as const;

/** The devices shoppers sign in from, roughly as a shop's traffic splits. */
export const USER_AGENTS = [
  ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 26],
  ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36', 22],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36', 24],
  ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', 12],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0', 8],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0', 5],
  ['Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1', 3],
] as const;
